#include "secrets/rotation/postgres_rotator.h"

#include <libpq-fe.h>

#include <algorithm>
#include <memory>

#include "common/json_parse.h"
#include "common/secret_bytes.h"
#include "secrets/errors.h"
#include "secrets/ids.h"

namespace coffer::secrets {
namespace {

using Json = nlohmann::json;

struct ConnDeleter {
  void operator()(PGconn* c) const { PQfinish(c); }
};
using Conn = std::unique_ptr<PGconn, ConnDeleter>;

std::string Field(const Json& secret, const char* name) {
  auto it = secret.find(name);
  if (it == secret.end()) return "";
  if (it->is_number_integer()) return std::to_string(it->get<long long>());
  return it->is_string() ? it->get<std::string>() : "";
}

StatusOr<Conn> Connect(const Json& secret) {
  const std::string host = Field(secret, "host");
  std::string port = Field(secret, "port");
  if (port.empty()) port = "5432";
  std::string db = Field(secret, "dbname");
  if (db.empty()) db = "postgres";
  const std::string user = Field(secret, "username");
  std::string password = Field(secret, "password");
  const char* keys[] = {"host", "port", "dbname", "user", "password", "connect_timeout", nullptr};
  const char* values[] = {host.c_str(),     port.c_str(), db.c_str(), user.c_str(),
                          password.c_str(), "5",          nullptr};
  Conn conn(PQconnectdbParams(keys, values, 0));
  SecureWipe(password.data(), password.size());
  if (conn == nullptr || PQstatus(conn.get()) != CONNECTION_OK) {
    std::string why = conn ? PQerrorMessage(conn.get()) : "out of memory";
    while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
    return InvalidRequest("cannot log in to PostgreSQL at " + host + ":" + port + " as " + user + ": " + why);
  }
  return conn;
}

std::string Quote(PGconn* conn, const std::string& text, bool identifier) {
  char* q = identifier ? PQescapeIdentifier(conn, text.c_str(), text.size())
                       : PQescapeLiteral(conn, text.c_str(), text.size());
  if (q == nullptr) return identifier ? "\"\"" : "''";
  std::string out(q);
  PQfreemem(q);
  return out;
}

Status Exec(PGconn* conn, const std::string& sql) {
  PGresult* res = PQexec(conn, sql.c_str());
  const ExecStatusType st = PQresultStatus(res);
  std::string why = PQresultErrorMessage(res);
  PQclear(res);
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
    while (!why.empty() && why.back() == '\n') why.pop_back();
    return InvalidRequest("PostgreSQL refused a rotation statement: " + why);
  }
  return Status::Ok();
}

StatusOr<Json> Parse(const Json& got) {
  std::optional<Json> j = ParseJson(got.value("SecretString", ""));
  if (!j || !j->is_object()) return InvalidRequest("the secret value is not the JSON object a rotator needs");
  return std::move(*j);
}

std::string CloneOf(const std::string& user) {
  constexpr std::string_view kClone = "_clone";
  if (user.size() > kClone.size() && user.ends_with(kClone))
    return user.substr(0, user.size() - kClone.size());
  return user + std::string(kClone);
}

}  // namespace

Status RunPostgres(const Json& secret, const std::vector<std::string>& sql) {
  ASSIGN_OR_RETURN(Conn conn, Connect(secret));
  for (const auto& s : sql) RETURN_IF_ERROR(Exec(conn.get(), s));
  return Status::Ok();
}

StatusOr<Json> PostgresRotator::Value(const Caller& self, const std::string& arn, const std::string& stage,
                                      const std::string& version) {
  Json req = {{"SecretId", arn}, {"VersionStage", stage}};
  if (!version.empty()) req["VersionId"] = version;
  ASSIGN_OR_RETURN(Json got, service_.Run(self, "GetSecretValue", req));
  return Parse(got);
}

Status PostgresRotator::Step(const RotationEvent& e) {
  const Caller self = SecretsService::ServiceCaller(e.account, e.region);
  if (e.step == "createSecret") return CreateSecret(e, self);
  if (e.step == "setSecret") return SetSecret(e, self);
  if (e.step == "testSecret") return TestSecret(e, self);
  if (e.step == "finishSecret") return FinishSecret(e, self);
  return InvalidParameter("unknown rotation step " + e.step);
}

Status PostgresRotator::CreateSecret(const RotationEvent& e, const Caller& self) {
  ASSIGN_OR_RETURN(Json current, Value(self, e.secret_id, std::string(kCurrent)));
  if (Value(self, e.secret_id, std::string(kPending), e.token).ok()) return Status::Ok();  // a retry
  ASSIGN_OR_RETURN(Json pw, service_.Run(self, "GetRandomPassword",
                                         Json{{"PasswordLength", 32}, {"ExcludeCharacters", "/@\"'\\"}}));
  Json next = current;
  next["password"] = pw.at("RandomPassword");
  if (alternating_) next["username"] = CloneOf(Field(current, "username"));
  std::string text = next.dump();
  auto put = service_.Run(self, "PutSecretValue",
                          Json{{"SecretId", e.secret_id},
                               {"ClientRequestToken", e.token},
                               {"SecretString", text},
                               {"VersionStages", Json::array({std::string(kPending)})}});
  SecureWipe(text.data(), text.size());
  return put.status();
}

Status PostgresRotator::SetSecret(const RotationEvent& e, const Caller& self) {
  ASSIGN_OR_RETURN(Json pending, Value(self, e.secret_id, std::string(kPending), e.token));
  if (RunPostgres(pending, {"SELECT 1"}).ok()) return Status::Ok();  // already set
  const std::string user = Field(pending, "username");
  Json admin;
  if (alternating_) {
    ASSIGN_OR_RETURN(Json current, Value(self, e.secret_id, std::string(kCurrent)));
    const std::string master = Field(current, "masterarn");
    if (master.empty()) return InvalidRequest("an alternating-users secret needs masterarn");
    // The rotator reads masterarn with the service's rights: only a secret
    // of the rotated secret's own account may be named, never another's.
    const std::vector<SecretLookup> owners = LookupsFor(master, e.account, e.region);
    if (owners.empty() || std::any_of(owners.begin(), owners.end(),
                                      [&](const SecretLookup& l) { return l.account != e.account; })) {
      return InvalidRequest("masterarn must name a secret of account " + e.account + " in " + e.region);
    }
    ASSIGN_OR_RETURN(admin, Value(self, master, std::string(kCurrent)));
    ASSIGN_OR_RETURN(Conn conn, Connect(admin));
    PGresult* res = PQexecParams(conn.get(), "SELECT 1 FROM pg_roles WHERE rolname = $1", 1, nullptr,
                                 std::vector<const char*>{user.c_str()}.data(), nullptr, nullptr, 0);
    const bool exists = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) > 0;
    PQclear(res);
    const std::string role = Quote(conn.get(), user, true);
    const std::string password = Quote(conn.get(), Field(pending, "password"), false);
    if (!exists) {
      RETURN_IF_ERROR(Exec(conn.get(), "CREATE ROLE " + role + " WITH LOGIN PASSWORD " + password));
      RETURN_IF_ERROR(
          Exec(conn.get(), "GRANT " + Quote(conn.get(), Field(current, "username"), true) + " TO " + role));
      return Status::Ok();
    }
    return Exec(conn.get(), "ALTER ROLE " + role + " WITH PASSWORD " + password);
  }
  // Single user: log in with the current password, or the previous one if a
  // half-finished rotation already changed it.
  ASSIGN_OR_RETURN(Json current, Value(self, e.secret_id, std::string(kCurrent)));
  auto conn = Connect(current);
  if (!conn.ok()) {
    auto previous = Value(self, e.secret_id, std::string(kPrevious));
    if (!previous.ok()) return conn.status();
    conn = Connect(*previous);
    if (!conn.ok()) return conn.status();
  }
  const std::string role = Quote(conn->get(), user, true);
  const std::string password = Quote(conn->get(), Field(pending, "password"), false);
  return Exec(conn->get(), "ALTER ROLE " + role + " WITH PASSWORD " + password);
}

Status PostgresRotator::TestSecret(const RotationEvent& e, const Caller& self) {
  ASSIGN_OR_RETURN(Json pending, Value(self, e.secret_id, std::string(kPending), e.token));
  return RunPostgres(pending, {"SELECT NOW()"});
}

Status PostgresRotator::FinishSecret(const RotationEvent& e, const Caller& self) {
  ASSIGN_OR_RETURN(Json described, service_.Run(self, "DescribeSecret", Json{{"SecretId", e.secret_id}}));
  std::string current;
  // A named copy: items() of the temporary value() returns would dangle.
  const Json by_version = described.value("VersionIdsToStages", Json::object());
  for (const auto& [vid, stages] : by_version.items()) {
    for (const auto& s : stages) {
      if (s.get<std::string>() == kCurrent) current = vid;
    }
  }
  if (current == e.token) return Status::Ok();
  Json req = {
      {"SecretId", e.secret_id}, {"VersionStage", std::string(kCurrent)}, {"MoveToVersionId", e.token}};
  if (!current.empty()) req["RemoveFromVersionId"] = current;
  return service_.Run(self, "UpdateSecretVersionStage", req).status();
}

}  // namespace coffer::secrets
