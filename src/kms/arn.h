// KMS resource identifiers: key ids, key ARNs, alias names and alias ARNs.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace coffer::kms {

inline constexpr std::string_view kPartition = "aws";

// Views into the text it was parsed from: valid while that text is.
struct KeyRef {
  enum class Kind { kKeyId, kKeyArn, kAliasName, kAliasArn };
  Kind kind;
  std::string_view account;  // empty unless given by an ARN
  std::string_view region;   // empty unless given by an ARN
  std::string_view id;       // key id (uuid) or alias name ("alias/...")
};

// Classifies a KeyId request member. nullopt when it is none of the four forms.
std::optional<KeyRef> ParseKeyRef(std::string_view text);

std::string KeyArn(std::string_view region, std::string_view account, std::string_view key_id);
// The same into `out` (replacing its text, keeping its capacity).
void AssignKeyArn(std::string_view region, std::string_view account, std::string_view key_id,
                  std::string& out);
std::string AliasArn(std::string_view region, std::string_view account, std::string_view alias_name);

}  // namespace coffer::kms
