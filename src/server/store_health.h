// GET /healthz in front of a load balancer: whether this node can reach its
// store. The store is pinged at most once per `interval` on the injected
// clock, so frequent probes (haproxy checks every second, several balancers)
// cost one round trip per interval; one probe at a time runs the ping while
// concurrent ones answer with the last result.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>

#include "common/clock.h"
#include "common/status_or.h"

namespace coffer::server {

class StoreHealth {
 public:
  StoreHealth(const Clock& clock, std::function<Status()> ping, std::chrono::milliseconds interval);

  // OK, or the failure of the latest ping (at most `interval` old, unless
  // another probe is running the next one). Logs when the answer changes.
  Status Check();

 private:
  std::optional<Status> Fresh();

  const Clock& clock_;
  std::function<Status()> ping_;
  const std::chrono::milliseconds interval_;
  std::mutex pinging_;  // held while the ping runs
  std::mutex mu_;       // guards the fields below
  std::optional<TimePoint> pinged_at_;
  Status last_;
};

}  // namespace coffer::server
