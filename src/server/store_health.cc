#include "server/store_health.h"

#include <spdlog/spdlog.h>

#include <utility>

namespace coffer::server {

StoreHealth::StoreHealth(const Clock& clock, std::function<Status()> ping, std::chrono::milliseconds interval)
    : clock_(clock), ping_(std::move(ping)), interval_(interval) {}

// The last result while it is younger than the interval (a clock that went
// back makes it stale).
std::optional<Status> StoreHealth::Fresh() {
  std::lock_guard lock(mu_);
  if (!pinged_at_) return std::nullopt;
  const TimePoint now = clock_.Now();
  if (now < *pinged_at_ || now - *pinged_at_ >= interval_) return std::nullopt;
  return last_;
}

Status StoreHealth::Check() {
  if (std::optional<Status> fresh = Fresh()) return *fresh;
  std::unique_lock pinging(pinging_, std::try_to_lock);
  if (!pinging.owns_lock()) {
    {
      std::lock_guard lock(mu_);
      if (pinged_at_) return last_;
    }
    pinging.lock();  // the very first ping: wait for its answer
    if (std::optional<Status> fresh = Fresh()) return *fresh;
  }
  Status status = ping_();
  std::lock_guard lock(mu_);
  if (pinged_at_ && last_.ok() != status.ok()) {
    if (status.ok()) {
      spdlog::info("health: the store answers again, /healthz is 200");
    } else {
      spdlog::warn("health: the store does not answer, /healthz is 503: {}", status.message());
    }
  } else if (!pinged_at_ && !status.ok()) {
    spdlog::warn("health: the store does not answer, /healthz is 503: {}", status.message());
  }
  pinged_at_ = clock_.Now();
  last_ = status;
  return status;
}

}  // namespace coffer::server
