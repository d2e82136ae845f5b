#include "secrets/rotation/webhook_rotator.h"

#include <chrono>
#include <nlohmann/json.hpp>

#include "common/encoding.h"
#include "common/secret_bytes.h"
#include "crypto/crypto.h"
#include "secrets/errors.h"

namespace coffer::secrets {

WebhookRotator::WebhookRotator(std::string url, std::string hmac_key, std::chrono::milliseconds timeout)
    : url_(net::ParseHttpUrl(url)), key_(std::move(hmac_key)), timeout_(timeout) {
  if (!url_.ok()) {
    url_ = InvalidRequest("the webhook rotator supports http:// URLs (put TLS in front with a proxy)");
  }
}

WebhookRotator::~WebhookRotator() { SecureWipe(key_.data(), key_.size()); }

Status WebhookRotator::Step(const RotationEvent& event) {
  if (!url_.ok()) return url_.status();
  const std::string body = nlohmann::json{
      {"SecretId", event.secret_id},
      {"ClientRequestToken", event.token},
      {"Step", event.step}}.dump();
  const std::string timestamp = std::to_string(
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
  const auto mac = crypto::HmacSha256(AsBytes(key_), AsBytes(timestamp + "." + body));
  auto status = net::PostJson(
      *url_, body, {{"X-Coffer-Timestamp", timestamp}, {"X-Coffer-Signature", HexEncode(mac)}}, timeout_);
  if (!status.ok()) {
    return InvalidRequest("the webhook for step " + event.step +
                          " did not answer: " + status.status().message());
  }
  if (*status < 200 || *status >= 300) {
    return InvalidRequest("the webhook answered HTTP " + std::to_string(*status) + " to step " + event.step);
  }
  return Status::Ok();
}

}  // namespace coffer::secrets
