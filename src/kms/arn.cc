#include "kms/arn.h"

#include <vector>

namespace coffer::kms {
namespace {

// Splits "arn:aws:kms:region:account:resource" into its six fields.
std::optional<std::vector<std::string_view>> SplitArn(std::string_view text) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (int i = 0; i < 5; ++i) {
    const std::size_t colon = text.find(':', start);
    if (colon == std::string_view::npos) return std::nullopt;
    parts.push_back(text.substr(start, colon - start));
    start = colon + 1;
  }
  parts.push_back(text.substr(start));
  return parts;
}

}  // namespace

std::optional<KeyRef> ParseKeyRef(std::string_view text) {
  if (text.empty()) return std::nullopt;
  if (text.starts_with("alias/")) return KeyRef{KeyRef::Kind::kAliasName, "", "", std::string(text)};
  if (!text.starts_with("arn:")) return KeyRef{KeyRef::Kind::kKeyId, "", "", std::string(text)};
  auto parts = SplitArn(text);
  if (!parts || (*parts)[0] != "arn" || (*parts)[2] != "kms") return std::nullopt;
  const std::string_view resource = (*parts)[5];
  KeyRef ref{KeyRef::Kind::kKeyArn, std::string((*parts)[4]), std::string((*parts)[3]), ""};
  if (resource.starts_with("key/")) {
    ref.id = std::string(resource.substr(4));
  } else if (resource.starts_with("alias/")) {
    ref.kind = KeyRef::Kind::kAliasArn;
    ref.id = std::string(resource);
  } else {
    return std::nullopt;
  }
  if (ref.account.empty() || ref.region.empty() || ref.id.empty()) return std::nullopt;
  return ref;
}

std::string KeyArn(std::string_view region, std::string_view account, std::string_view key_id) {
  // One allocation: this runs several times per cryptographic request.
  constexpr std::string_view kPrefix = "arn:aws:kms:";
  std::string arn;
  arn.reserve(kPrefix.size() + region.size() + 1 + account.size() + 5 + key_id.size());
  arn.append(kPrefix).append(region).append(":").append(account).append(":key/").append(key_id);
  return arn;
}

std::string AliasArn(std::string_view region, std::string_view account, std::string_view alias_name) {
  return "arn:aws:kms:" + std::string(region) + ":" + std::string(account) + ":" + std::string(alias_name);
}

}  // namespace coffer::kms
