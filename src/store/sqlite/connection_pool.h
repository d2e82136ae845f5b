// A fixed set of connections handed out one transaction at a time. The store
// keeps one pool of a single writer connection (which is what serialises write
// transactions) and one pool of query-only readers.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>

#include "common/status_or.h"
#include "store/sqlite/sqlite_connection.h"

namespace coffer::store::sqlite {

class ConnectionPool {
 public:
  // Gives the connection back to its pool when the lease ends.
  struct Returner {
    ConnectionPool* pool = nullptr;
    void operator()(Connection* conn) const { pool->Release(conn); }
  };
  using Lease = std::unique_ptr<Connection, Returner>;

  // `role` names the pool in the "store busy" message ("writer", "reader").
  ConnectionPool(std::vector<std::unique_ptr<Connection>> connections, std::chrono::milliseconds max_wait,
                 const char* role);
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // An idle connection, waiting up to `max_wait` for one; kDependencyTimeout
  // when none frees up in time. Every lease must end before the pool dies.
  StatusOr<Lease> Acquire();

 private:
  void Release(Connection* conn);

  std::chrono::milliseconds max_wait_;
  const char* role_;
  std::vector<std::unique_ptr<Connection>> connections_;
  std::mutex mu_;
  std::condition_variable idle_cv_;
  std::vector<Connection*> idle_;  // guarded by mu_
};

}  // namespace coffer::store::sqlite
