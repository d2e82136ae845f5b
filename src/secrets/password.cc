#include "secrets/password.h"

#include <array>
#include <vector>

#include "common/secret_bytes.h"
#include "secrets/errors.h"

namespace coffer::secrets {
namespace {

// Uniform index below `n` (n <= 256) from the DRBG.
class Picker {
 public:
  explicit Picker(RandomSource& random) : random_(random) {}
  StatusOr<std::size_t> Below(std::size_t n) {
    const std::size_t limit = 256 - (256 % n);
    while (true) {
      if (pos_ == buf_.size()) {
        RETURN_IF_ERROR(random_.Fill(buf_));
        pos_ = 0;
      }
      const std::size_t b = buf_[pos_++];
      if (b < limit) return b % n;
    }
  }
  ~Picker() { SecureWipe(buf_.data(), buf_.size()); }
  Picker(const Picker&) = delete;
  Picker& operator=(const Picker&) = delete;

 private:
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
  for (std::size_t i = out.size() - 1; i > 0 && out.size() <= 256; --i) {
    ASSIGN_OR_RETURN(std::size_t j, pick.Below(i + 1));
    std::swap(out[i], out[j]);
  }
  if (out.size() > 256) {
    // Indices beyond one byte: draw two bytes per position.
    for (std::size_t i = out.size() - 1; i > 0; --i) {
      ASSIGN_OR_RETURN(std::size_t hi, pick.Below(256));
      ASSIGN_OR_RETURN(std::size_t lo, pick.Below(256));
      const std::size_t r = (hi << 8) | lo;  // uniform in [0, 65536)
      const std::size_t range = i + 1;
      const std::size_t limit = 65536 - (65536 % range);
      if (r >= limit) {
        ++i;  // retry this position
        continue;
      }
      std::swap(out[i], out[r % range]);
    }
  }
  return out;
}

}  // namespace coffer::secrets
