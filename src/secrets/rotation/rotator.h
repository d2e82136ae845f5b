// Rotation functions. AWS invokes a Lambda function four times per rotation
// with {SecretId, ClientRequestToken, Step}; here RotationLambdaARN
// (arn:aws:lambda:<region>:<account>:function:<name>) names a rotator from
// the server's configuration: a built-in PostgreSQL rotator or a webhook
// that receives the same event over HTTP.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/status_or.h"

namespace coffer::secrets {

class SecretsService;

struct RotationEvent {
  std::string secret_id;  // the secret's ARN
  std::string token;      // ClientRequestToken: the new version's id
  std::string step;       // createSecret | setSecret | testSecret | finishSecret
  std::string account;
  std::string region;
};

class Rotator {
 public:
  virtual ~Rotator() = default;
  // One step; an error fails the rotation (its message names no secret value).
  virtual Status Step(const RotationEvent& event) = 0;
};

struct RotatorConfig {
  std::string name;      // the function name in the ARN
  std::string account;   // empty: any account
  std::string type;      // postgresql-single-user | postgresql-alternating-users | webhook
  std::string url;       // webhook only
  std::string hmac_key;  // webhook only: the HMAC-SHA256 key (from hmac_key_env)
};

// Reads the rotators file: {"functions": [{"name", "account"?, "type",
// "url"?, "hmac_key_env"?}]}. Errors name the entry.
StatusOr<std::vector<RotatorConfig>> LoadRotatorConfig(const std::string& path);

std::unique_ptr<Rotator> MakeRotator(const RotatorConfig& config, SecretsService& service);

}  // namespace coffer::secrets
