// Where GetKeyLastUsage learns a key's last successful cryptographic use: the
// audit trail, which sees every request (server/observability.cc adapts it).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/status_or.h"

namespace coffer::kms {

struct KeyLastUse {
  std::string operation;   // "Encrypt", "Sign", ...
  TimePoint time;          // when the request arrived
  std::string event_id;    // CloudTrail eventID of that request
  std::string request_id;  // KMS request id (x-amzn-RequestId)
};

class KeyUsageSource {
 public:
  virtual ~KeyUsageSource() = default;
  // The newest successful cryptographic operation with `key_arn`, if any.
  virtual StatusOr<std::optional<KeyLastUse>> LastUse(std::string_view key_arn) = 0;
  // Since when uses are recorded (the trail's first record).
  virtual TimePoint TrackingStart() = 0;
};

}  // namespace coffer::kms
