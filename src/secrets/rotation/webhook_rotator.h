// A rotator that POSTs each step's event, {"SecretId", "ClientRequestToken",
// "Step"} as Lambda receives it, to an HTTP URL, so an existing rotation
// function runs as a small HTTP service (it calls Secrets Manager back with
// its own credentials, as a Lambda function does with its role). The request
// is signed: X-Coffer-Timestamp (Unix seconds) and X-Coffer-Signature =
// hex(HMAC-SHA256(key, timestamp + "." + body)). A 2xx answer is success;
// anything else, or no answer within 30 s, fails the step.
#pragma once

#include <chrono>
#include <string>

#include "net/http_post.h"
#include "secrets/rotation/rotator.h"

namespace coffer::secrets {

class WebhookRotator final : public Rotator {
 public:
  WebhookRotator(std::string url, std::string hmac_key,
                 std::chrono::milliseconds timeout = std::chrono::seconds(30));
  ~WebhookRotator() override;
  Status Step(const RotationEvent& event) override;

 private:
  StatusOr<net::HttpUrl> url_;
  std::string key_;
  std::chrono::milliseconds timeout_;
};

}  // namespace coffer::secrets
