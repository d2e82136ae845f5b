#include "secrets/ids.h"

#include <array>

namespace coffer::secrets {
namespace {

constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
constexpr std::size_t kSuffixLen = 6;

bool IsAlnum(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

}  // namespace

std::string SecretArn(std::string_view region, std::string_view account, std::string_view name,
                      std::string_view suffix) {
  return "arn:aws:secretsmanager:" + std::string(region) + ":" + std::string(account) +
         ":secret:" + std::string(name) + "-" + std::string(suffix);
}

StatusOr<std::string> NewArnSuffix(RandomSource& random) {
  std::string out;
  while (out.size() < kSuffixLen) {
    std::array<std::uint8_t, 16> bytes{};
    RETURN_IF_ERROR(random.Fill(bytes));
    for (std::uint8_t b : bytes) {
      // 62 * 4 = 248: reject the top values so every character is equally likely.
      if (b >= 248 || out.size() == kSuffixLen) continue;
      out.push_back(kAlphabet[b % kAlphabet.size()]);
    }
  }
  return out;
}

std::vector<SecretLookup> LookupsFor(std::string_view secret_id, std::string_view caller_account,
                                     std::string_view region) {
  constexpr std::string_view kPrefix = "arn:aws:secretsmanager:";
  if (!secret_id.starts_with(kPrefix)) return {{std::string(caller_account), std::string(secret_id), ""}};
  // arn:aws:secretsmanager:<region>:<account>:secret:<rest>
  std::string_view rest = secret_id.substr(kPrefix.size());
  const auto region_end = rest.find(':');
  if (region_end == std::string_view::npos || rest.substr(0, region_end) != region) return {};
  rest = rest.substr(region_end + 1);
  const auto account_end = rest.find(':');
  if (account_end == std::string_view::npos) return {};
  const std::string account(rest.substr(0, account_end));
  rest = rest.substr(account_end + 1);
  constexpr std::string_view kSecret = "secret:";
  if (!rest.starts_with(kSecret)) return {};
  const std::string_view name = rest.substr(kSecret.size());
  if (name.empty()) return {};
  std::vector<SecretLookup> out;
  if (name.size() > kSuffixLen + 1 && name[name.size() - kSuffixLen - 1] == '-') {
    bool suffix = true;
    for (char c : name.substr(name.size() - kSuffixLen)) suffix = suffix && IsAlnum(c);
    if (suffix) {
      out.push_back(
          {account, std::string(name.substr(0, name.size() - kSuffixLen - 1)), std::string(secret_id)});
    }
  }
  out.push_back({account, std::string(name), ""});
  return out;
}

bool ValidSecretName(std::string_view name) {
  if (name.empty() || name.size() > 512) return false;
  for (char c : name) {
    if (!IsAlnum(c) && std::string_view("/_+=.@-").find(c) == std::string_view::npos) return false;
  }
  return true;
}

}  // namespace coffer::secrets
