// Posts Parameter Store policy events to an HTTP URL in the EventBridge event
// shape AWS documents for Parameter Store ("Parameter Store Policy Action",
// source "aws.ssm"), so a receiver written for EventBridge rules works
// unchanged. One POST per event, 5 s timeout; failures are logged by the
// caller and not retried (EventBridge delivery is at-most-once here).
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

#include "common/clock.h"
#include "common/status.h"
#include "net/http_post.h"
#include "ssm/service.h"

namespace coffer::ssm {

// The EventBridge event for `e` at `now`, with `id` as its event id.
nlohmann::json EventBridgeEvent(const ServiceEvent& e, TimePoint now, const std::string& id);

class PolicyWebhook {
 public:
  // `url`: http://host[:port][/path]. An invalid URL makes every Post fail.
  explicit PolicyWebhook(std::string url, std::chrono::milliseconds timeout = std::chrono::seconds(5));
  Status Post(const nlohmann::json& event);

 private:
  StatusOr<net::HttpUrl> url_;
  std::chrono::milliseconds timeout_;
};

}  // namespace coffer::ssm
