// Request observers for operations: Prometheus counters/histograms per
// service, operation and outcome, and the structured JSON access log (one
// line per request: time, request id, principal, operation, status, error
// code, latency; never a request or response body).
#pragma once

#include <cstdio>
#include <mutex>
#include <string>

#include "metrics/registry.h"
#include "server/request_hooks.h"

namespace coffer::metrics {

class RequestMetrics final : public server::RequestObserver {
 public:
  explicit RequestMetrics(Registry& registry);
  std::uint64_t Observe(const server::RequestTrace& trace) override;

 private:
  CounterFamily& requests_;
  CounterFamily& throttles_;
  HistogramFamily& latency_;
};

// "success", "client_error", "server_error", "throttled", "denied".
std::string Outcome(const server::RequestTrace& trace);

class AccessLog final : public server::RequestObserver {
 public:
  // Appends to `path`, or writes to stdout when path is "-".
  static StatusOr<std::unique_ptr<AccessLog>> Open(const std::string& path);
  ~AccessLog() override;
  std::uint64_t Observe(const server::RequestTrace& trace) override;
  // The line for a trace (without the newline).
  static std::string Line(const server::RequestTrace& trace);

 private:
  explicit AccessLog(std::FILE* file, bool owned) : file_(file), owned_(owned) {}
  std::mutex mu_;
  std::FILE* file_;
  bool owned_;
};

}  // namespace coffer::metrics
