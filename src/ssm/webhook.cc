#include "ssm/webhook.h"

#include "common/iso_time.h"

namespace coffer::ssm {

nlohmann::json EventBridgeEvent(const ServiceEvent& e, TimePoint now, const std::string& id) {
  nlohmann::json detail = {{"parameter-name", e.name},
                           {"parameter-type", e.type},
                           {"policy-type", e.event_name},
                           {"action-status", e.event_name == "Expiration" ? "Finished" : "Pending"}};
  if (!e.policy_text.empty()) detail["policy-content"] = e.policy_text;
  return {{"version", "0"},
          {"id", id},
          {"detail-type", e.detail_type},
          {"source", "aws.ssm"},
          {"account", e.account},
          {"time", IsoSeconds(now)},
          {"region", e.region},
          {"resources", {e.arn}},
          {"detail", detail}};
}

PolicyWebhook::PolicyWebhook(std::string url, std::chrono::milliseconds timeout)
    : url_(net::ParseHttpUrl(url)), timeout_(timeout) {
  if (!url_.ok()) url_ = ValidationError("the Parameter Store webhook supports http:// URLs");
}

Status PolicyWebhook::Post(const nlohmann::json& event) {
  if (!url_.ok()) return url_.status();
  auto status = net::PostJson(*url_, event.dump(), {}, timeout_);
  if (!status.ok()) {
    return Status(ErrorCode::kUnavailable,
                  "the Parameter Store webhook did not answer: " + status.status().message());
  }
  if (*status / 100 != 2) {
    return Status(ErrorCode::kUnavailable,
                  "the Parameter Store webhook answered HTTP " + std::to_string(*status));
  }
  return Status::Ok();
}

}  // namespace coffer::ssm
