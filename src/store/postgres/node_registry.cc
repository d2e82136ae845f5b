// The cluster's node registry: one row per node in cluster_nodes, stamped
// with the server's now() on a dedicated session.
#include <charconv>
#include <chrono>
#include <memory>
#include <string>

#include "store/postgres/pg_connection.h"
#include "store/store.h"

namespace coffer::store {
namespace postgres {
namespace {

// Beats this node, forgets rows dead for a day (nodes that never came back),
// and counts the other live nodes. A statement's CTEs and main query share one
// snapshot, so the count never sees this statement's own upsert: hence "+ 1"
// by the caller and the `node_id <> $1` filters.
constexpr const char* kHeartbeatSql =
    "WITH beat AS ("
    "  INSERT INTO cluster_nodes(node_id, heartbeat_at) VALUES ($1, now())"
    "  ON CONFLICT (node_id) DO UPDATE SET heartbeat_at = now()"
    "), forgotten AS ("
    "  DELETE FROM cluster_nodes WHERE node_id <> $1 AND heartbeat_at < now() - interval '1 day'"
    ") "
    "SELECT count(*)::text FROM cluster_nodes "
    "WHERE node_id <> $1 AND heartbeat_at >= now() - $2::float8 * interval '1 millisecond'";

class PostgresNodeRegistry final : public NodeRegistry {
 public:
  PostgresNodeRegistry(const std::string& conninfo, std::string node_id,
                       std::chrono::milliseconds stale_after, int connect_timeout_seconds)
      : conn_(conninfo, connect_timeout_seconds, SessionSettings{}, "coffer-nodes"),
        node_id_(std::move(node_id)),
        stale_after_ms_(Int8Param(stale_after.count())) {}

  StatusOr<int> Heartbeat() override {
    RETURN_IF_ERROR(conn_.EnsureReady());
    // A heartbeat lost in a crash is replaced by the next one: no flush wait.
    RETURN_IF_ERROR(conn_.Exec("SET synchronous_commit = off", "node heartbeat"));
    const Param params[] = {{kTextOid, node_id_}, {kInt8Oid, stale_after_ms_}};
    ASSIGN_OR_RETURN(Result res, conn_.Query(kHeartbeatSql, params, "node heartbeat"));
    const char* text = PQntuples(res.get()) == 1 ? PQgetvalue(res.get(), 0, 0) : "";
    int others = 0;
    const auto [end, ec] = std::from_chars(text, text + std::char_traits<char>::length(text), others);
    if (ec != std::errc()) return InternalError("postgres node count is not a number");
    return others + 1;
  }

  Status Leave() override {
    RETURN_IF_ERROR(conn_.EnsureReady());
    const Param params[] = {{kTextOid, node_id_}};
    return conn_.Query("DELETE FROM cluster_nodes WHERE node_id = $1", params, "node leave").status();
  }

 private:
  Connection conn_;
  const std::string node_id_;
  const std::string stale_after_ms_;
};

}  // namespace
}  // namespace postgres

std::unique_ptr<NodeRegistry> NewPostgresNodeRegistry(const std::string& conninfo, const std::string& node_id,
                                                      std::chrono::milliseconds stale_after,
                                                      int connect_timeout_seconds) {
  return std::make_unique<postgres::PostgresNodeRegistry>(conninfo, node_id, stale_after,
                                                          connect_timeout_seconds);
}

}  // namespace coffer::store
