#include "secrets/password.h"

#include <array>
#include <vector>

#include "common/secret_bytes.h"
#include "secrets/errors.h"

namespace coffer::secrets {
namespace {

// Uniform index below `n` (n <= 65536) from the DRBG: one byte per draw for
// n <= 256, two above, rejecting the top values so no index is favoured.
class Picker {
 public:
  explicit Picker(RandomSource& random) : random_(random) {}
  StatusOr<std::size_t> Below(std::size_t n) {
    const std::size_t range = n <= 256 ? 256 : 65536;
    const std::size_t limit = range - (range % n);
    while (true) {
      ASSIGN_OR_RETURN(std::size_t v, Byte());
      if (range == 65536) {
        ASSIGN_OR_RETURN(std::size_t lo, Byte());
        v = (v << 8) | lo;
      }
      if (v < limit) return v % n;
    }
  }
  ~Picker() { SecureWipe(buf_.data(), buf_.size()); }
  Picker(const Picker&) = delete;
  Picker& operator=(const Picker&) = delete;

 private:
  StatusOr<std::size_t> Byte() {
    if (pos_ == buf_.size()) {
      RETURN_IF_ERROR(random_.Fill(buf_));
      pos_ = 0;
    }
    return static_cast<std::size_t>(buf_[pos_++]);
  }

  RandomSource& random_;
  std::array<std::uint8_t, 64> buf_{};
  std::size_t pos_ = buf_.size();
};

std::string Without(std::string_view set, std::string_view excluded) {
  std::string out;
  for (char c : set) {
    if (excluded.find(c) == std::string_view::npos) out.push_back(c);
  }
  return out;
}

}  // namespace

StatusOr<std::string> RandomPassword(const PasswordOptions& o, RandomSource& random) {
  if (o.length < 1 || o.length > 4096) {
    return InvalidParameter("PasswordLength must be between 1 and 4096.");
  }
  std::vector<std::string> types;
  if (!o.exclude_lowercase) types.push_back(Without("abcdefghijklmnopqrstuvwxyz", o.exclude_characters));
  if (!o.exclude_uppercase) types.push_back(Without("ABCDEFGHIJKLMNOPQRSTUVWXYZ", o.exclude_characters));
  if (!o.exclude_numbers) types.push_back(Without("0123456789", o.exclude_characters));
  if (!o.exclude_punctuation) types.push_back(Without(kPunctuation, o.exclude_characters));
  if (o.include_space) types.push_back(Without(" ", o.exclude_characters));
  std::erase_if(types, [](const std::string& t) { return t.empty(); });
  std::string all;
  for (const auto& t : types) all += t;
  if (all.empty()) {
    return InvalidParameter("The password can't be generated: every character type is excluded.");
  }
  if (o.require_each_included_type && types.size() > o.length) {
    return InvalidParameter("PasswordLength is too short to include a character of each included type.");
  }
  Picker pick(random);
  std::string out;
  out.reserve(o.length);
  if (o.require_each_included_type) {
    for (const auto& t : types) {
      ASSIGN_OR_RETURN(std::size_t i, pick.Below(t.size()));
      out.push_back(t[i]);
    }
  }
  while (out.size() < o.length) {
    ASSIGN_OR_RETURN(std::size_t i, pick.Below(all.size()));
    out.push_back(all[i]);
  }
  // Shuffle (Fisher-Yates) so the required characters are not in front.
  for (std::size_t i = out.size() - 1; i > 0; --i) {
    ASSIGN_OR_RETURN(std::size_t j, pick.Below(i + 1));
    std::swap(out[i], out[j]);
  }
  return out;
}

}  // namespace coffer::secrets
