#include "kms/arn.h"

#include <array>

namespace coffer::kms {
namespace {

// Splits "arn:aws:kms:region:account:resource" into its six fields.
std::optional<std::array<std::string_view, 6>> SplitArn(std::string_view text) {
  std::array<std::string_view, 6> parts;
  std::size_t start = 0;
  for (std::size_t i = 0; i < 5; ++i) {
    const std::size_t colon = text.find(':', start);
    if (colon == std::string_view::npos) return std::nullopt;
    parts[i] = text.substr(start, colon - start);
    start = colon + 1;
  }
  parts[5] = text.substr(start);
  return parts;
}

}  // namespace

std::optional<KeyRef> ParseKeyRef(std::string_view text) {
  if (text.empty()) return std::nullopt;
  if (text.starts_with("alias/")) return KeyRef{KeyRef::Kind::kAliasName, {}, {}, text};
  if (!text.starts_with("arn:")) return KeyRef{KeyRef::Kind::kKeyId, {}, {}, text};
  auto parts = SplitArn(text);
  if (!parts || (*parts)[0] != "arn" || (*parts)[2] != "kms") return std::nullopt;
  const std::string_view resource = (*parts)[5];
  KeyRef ref{KeyRef::Kind::kKeyArn, (*parts)[4], (*parts)[3], {}};
  if (resource.starts_with("key/")) {
    ref.id = resource.substr(4);
  } else if (resource.starts_with("alias/")) {
    ref.kind = KeyRef::Kind::kAliasArn;
    ref.id = resource;
  } else {
    return std::nullopt;
  }
  if (ref.account.empty() || ref.region.empty() || ref.id.empty()) return std::nullopt;
  return ref;
}

std::string KeyArn(std::string_view region, std::string_view account, std::string_view key_id) {
  std::string arn;
  AssignKeyArn(region, account, key_id, arn);
  return arn;
}

void AssignKeyArn(std::string_view region, std::string_view account, std::string_view key_id,
                  std::string& out) {
  constexpr std::string_view kPrefix = "arn:aws:kms:";
  out.clear();
  out.reserve(kPrefix.size() + region.size() + 1 + account.size() + 5 + key_id.size());
  out.append(kPrefix).append(region).append(":").append(account).append(":key/").append(key_id);
}

std::string AliasArn(std::string_view region, std::string_view account, std::string_view alias_name) {
  return "arn:aws:kms:" + std::string(region) + ":" + std::string(account) + ":" + std::string(alias_name);
}

}  // namespace coffer::kms
