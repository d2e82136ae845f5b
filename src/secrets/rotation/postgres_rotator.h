// The built-in PostgreSQL rotators, on the secret shape AWS's rotation
// templates use: {"engine": "postgres", "host", "port", "username",
// "password", "dbname", "masterarn"?}.
//   single user:        ALTER ROLE <username> PASSWORD <new>, logging in as
//                       the user with its current (or previous) password;
//   alternating users:  logs in as the master user (the secret masterarn
//                       names) and sets the password of the other user of
//                       the pair (<username> / <username>_clone, created as a
//                       member of the first on first use), so the old
//                       credentials keep working until the next rotation.
// Steps follow AWS's templates; each is safe to repeat (retries).
#pragma once

#include <string>

#include "secrets/rotation/rotator.h"
#include "secrets/service.h"

namespace coffer::secrets {

class PostgresRotator final : public Rotator {
 public:
  PostgresRotator(SecretsService& service, bool alternating) : service_(service), alternating_(alternating) {}
  Status Step(const RotationEvent& event) override;

 private:
  Status CreateSecret(const RotationEvent& e, const Caller& self);
  Status SetSecret(const RotationEvent& e, const Caller& self);
  Status TestSecret(const RotationEvent& e, const Caller& self);
  Status FinishSecret(const RotationEvent& e, const Caller& self);
  // The secret's value at a stage or version, parsed.
  StatusOr<nlohmann::json> Value(const Caller& self, const std::string& arn, const std::string& stage,
                                 const std::string& version = "");

  SecretsService& service_;
  bool alternating_;
};

// Connects with the credentials in `secret` (host, port, username, password,
// dbname) and runs `sql` statements; errors carry PostgreSQL's message,
// never the password.
Status RunPostgres(const nlohmann::json& secret, const std::vector<std::string>& sql);

}  // namespace coffer::secrets
