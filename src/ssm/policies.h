// Parameter policies (PutParameter's Policies): Expiration,
// ExpirationNotification and NoChangeNotification, as AWS documents them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status_or.h"

namespace coffer::ssm {

struct ParameterPolicy {
  std::string type;             // "Expiration", "ExpirationNotification", "NoChangeNotification"
  std::string text;             // the policy's JSON as the caller wrote it (compact)
  std::int64_t expires_ms = 0;  // Expiration: Timestamp
  std::int64_t amount_ms = 0;   // notifications: Before / After in milliseconds
};

// The policies in `text` (a JSON array), or InvalidPolicyTypeException,
// InvalidPolicyAttributeException, PoliciesLimitExceededException.
StatusOr<std::vector<ParameterPolicy>> ParsePolicies(std::string_view text);
// "2026-12-01T00:00:00.000Z" (fraction and offset optional) as epoch ms.
std::optional<std::int64_t> ParseTimestamp(std::string_view text);

}  // namespace coffer::ssm
