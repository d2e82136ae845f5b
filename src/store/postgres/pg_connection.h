// One libpq connection that reconnects itself after the server has gone away,
// and the RAII type that owns a PGresult. Internal to src/store/postgres/:
// nothing outside this directory includes <libpq-fe.h>.
#pragma once

#include <libpq-fe.h>

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/status_or.h"

namespace coffer::store::postgres {

struct ResultDeleter {
  void operator()(PGresult* res) const { PQclear(res); }
};
using Result = std::unique_ptr<PGresult, ResultDeleter>;

// Type OIDs from the server's catalog/pg_type.h (not installed with libpq).
inline constexpr Oid kInt8Oid = 20;
inline constexpr Oid kTextOid = 25;
inline constexpr Oid kByteaOid = 17;

// One query parameter, always sent in binary format: raw bytes for bytea and
// text, 8 big-endian bytes for int8 (see Int8Param). `bytes` must outlive the
// call.
struct Param {
  Oid type;
  std::string_view bytes;
};

// `value` as the binary form of an int8 parameter.
std::string Int8Param(long long value);

// Settings applied to every session right after it connects.
struct SessionSettings {
  int lock_timeout_ms = 5000;
};

class Connection {
 public:
  // Does not connect yet: EnsureReady does, so a pool can start lazily.
  Connection(std::string conninfo, int connect_timeout_seconds, SessionSettings settings,
             const char* application_name = "coffer");
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Leaves the connection connected and outside any transaction: connects
  // the first time, reconnects when the server has dropped it, rolls back a
  // transaction an earlier user left open. kUnavailable when the server or
  // the database cannot be reached.
  Status EnsureReady();

  // Runs one or more parameterless statements (simple query protocol).
  Status Exec(const char* sql, std::string_view what);
  // Runs one statement with binary parameters; rows come back in binary.
  StatusOr<Result> Query(const char* sql, std::span<const Param> params, std::string_view what);

  // Whether the last statement lost the connection (PQstatus is bad).
  bool Lost() const;
  bool InTransaction() const;
  // The command tag of a completed statement ("COMMIT", "ROLLBACK", ...).
  static std::string_view CommandTag(PGresult* res);

  // LISTEN support (change_watcher.cc). The socket to poll for input; -1
  // when not connected.
  int Socket() const;
  // Reads what the server sent without blocking; kUnavailable when the
  // connection is gone.
  Status ConsumeInput();
  // The payload of the next received notification on any channel, oldest first.
  std::optional<std::string> NextNotification();

 private:
  Status Connect();
  Status CheckResult(const PGresult* res, std::string_view what) const;

  std::string conninfo_;
  std::string connect_timeout_;
  SessionSettings settings_;
  const char* application_name_;
  PGconn* conn_ = nullptr;
};

}  // namespace coffer::store::postgres
