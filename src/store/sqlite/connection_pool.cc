#include "store/sqlite/connection_pool.h"

#include <string>
#include <utility>

namespace coffer::store::sqlite {

ConnectionPool::ConnectionPool(std::vector<std::unique_ptr<Connection>> connections,
                               std::chrono::milliseconds max_wait, const char* role)
    : max_wait_(max_wait), role_(role), connections_(std::move(connections)) {
  idle_.reserve(connections_.size());
  for (const auto& conn : connections_) {
    idle_.push_back(conn.get());
  }
}

StatusOr<ConnectionPool::Lease> ConnectionPool::Acquire() {
  std::unique_lock<std::mutex> lock(mu_);
  if (!idle_cv_.wait_for(lock, max_wait_, [this] { return !idle_.empty(); })) {
    return Status(ErrorCode::kDependencyTimeout, std::string("store busy: no ") + role_ + " connection free");
  }
  Connection* conn = idle_.back();
  idle_.pop_back();
  return Lease(conn, Returner{this});
}

void ConnectionPool::Release(Connection* conn) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    idle_.push_back(conn);
  }
  idle_cv_.notify_one();
}

}  // namespace coffer::store::sqlite
