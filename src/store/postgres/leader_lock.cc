// The sweeper's leader lock: pg_try_advisory_lock on a dedicated session.
#include <memory>
#include <string>

#include "store/postgres/pg_connection.h"
#include "store/postgres/pg_migrations.h"
#include "store/store.h"

namespace coffer::store {
namespace postgres {
namespace {

class PostgresLeaderLock final : public LeaderLock {
 public:
  PostgresLeaderLock(const std::string& conninfo, int connect_timeout_seconds)
      : conn_(conninfo, connect_timeout_seconds, SessionSettings{}, "coffer-leader") {}

  bool HeldNow() override {
    if (held_) {
      held_ = conn_.Exec("SELECT 1", "leader check").ok() && !conn_.Lost();
      if (held_) return true;
    }
    if (!conn_.EnsureReady().ok()) return false;
    const std::string key = Int8Param(kSweeperLockKey);
    const Param params[] = {{kInt8Oid, key}};
    // As text, whose binary form is its characters: "true" or "false".
    StatusOr<Result> res = conn_.Query("SELECT pg_try_advisory_lock($1)::text", params, "leader lock");
    held_ = res.ok() && PQntuples(res->get()) == 1 && std::string(PQgetvalue(res->get(), 0, 0)) == "true";
    return held_;
  }

 private:
  Connection conn_;
  bool held_ = false;
};

}  // namespace
}  // namespace postgres

std::unique_ptr<LeaderLock> NewPostgresSweeperLock(const std::string& conninfo, int connect_timeout_seconds) {
  return std::make_unique<postgres::PostgresLeaderLock>(conninfo, connect_timeout_seconds);
}

}  // namespace coffer::store
