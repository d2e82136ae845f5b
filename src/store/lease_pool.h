// A fixed set of connections handed out one transaction at a time, shared by
// the SQLite store (one pool of a single writer, which is what serialises its
// write transactions, and one of query-only readers) and the PostgreSQL store.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/status_or.h"

namespace coffer::store {

template <typename Conn>
class LeasePool {
 public:
  // Gives the connection back to its pool when the lease ends.
  struct Returner {
    LeasePool* pool = nullptr;
    void operator()(Conn* conn) const { pool->Release(conn); }
  };
  using Lease = std::unique_ptr<Conn, Returner>;

  // `role` names the pool in the "store busy" message ("writer", "reader").
  LeasePool(std::vector<std::unique_ptr<Conn>> connections, std::chrono::milliseconds max_wait,
            const char* role)
      : max_wait_(max_wait), role_(role), connections_(std::move(connections)) {
    idle_.reserve(connections_.size());
    for (const auto& conn : connections_) {
      idle_.push_back(conn.get());
    }
  }
  LeasePool(const LeasePool&) = delete;
  LeasePool& operator=(const LeasePool&) = delete;

  // An idle connection, waiting up to `max_wait` for one; kDependencyTimeout
  // when none frees up in time. Every lease must end before the pool dies.
  StatusOr<Lease> Acquire() {
    std::unique_lock<std::mutex> lock(mu_);
    if (!idle_cv_.wait_for(lock, max_wait_, [this] { return !idle_.empty(); })) {
      return Status(ErrorCode::kDependencyTimeout,
                    std::string("store busy: no ") + role_ + " connection free");
    }
    Conn* conn = idle_.back();
    idle_.pop_back();
    return Lease(conn, Returner{this});
  }

  // An idle connection now, or nullopt when every one is leased (busy).
  std::optional<Lease> TryAcquire() {
    std::lock_guard<std::mutex> lock(mu_);
    if (idle_.empty()) return std::nullopt;
    Conn* conn = idle_.back();
    idle_.pop_back();
    return Lease(conn, Returner{this});
  }

 private:
  void Release(Conn* conn) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      idle_.push_back(conn);
    }
    idle_cv_.notify_one();
  }

  std::chrono::milliseconds max_wait_;
  const char* role_;
  std::vector<std::unique_ptr<Conn>> connections_;
  std::mutex mu_;
  std::condition_variable idle_cv_;
  std::vector<Conn*> idle_;  // guarded by mu_
};

}  // namespace coffer::store
