#include "metrics/request_metrics.h"

#include <nlohmann/json.hpp>

namespace coffer::metrics {

std::string Outcome(const server::RequestTrace& trace) {
  if (trace.status.ok()) return "success";
  switch (trace.status.code()) {
    case ErrorCode::kThrottling:
      return "throttled";
    case ErrorCode::kAccessDenied:
    case ErrorCode::kUnrecognizedClient:
    case ErrorCode::kExpiredToken:
    case ErrorCode::kInvalidSignature:
    case ErrorCode::kSignatureExpired:
    case ErrorCode::kIncompleteSignature:
    case ErrorCode::kMissingAuthenticationToken:
      return "denied";
    default:
      return trace.http_status >= 500 ? "server_error" : "client_error";
  }
}

RequestMetrics::RequestMetrics(Registry& registry)
    : requests_(registry.Counter("coffer_requests_total", "API requests by service, operation and outcome.")),
      throttles_(registry.Counter("coffer_throttled_requests_total",
                                  "Requests refused with ThrottlingException, by service and operation.")),
      latency_(registry.Histogram("coffer_request_duration_seconds",
                                  "Time from request arrival to response ready, by service and operation.",
                                  LatencyBuckets())) {}

std::uint64_t RequestMetrics::Observe(const server::RequestTrace& trace) {
  // Label sets this thread reuses: assigning a value keeps the string's
  // capacity, so a request's metrics allocate nothing once warm.
  thread_local Labels with_outcome = {{"service", ""}, {"operation", ""}, {"outcome", ""}};
  thread_local Labels without_outcome = {{"service", ""}, {"operation", ""}};
  const std::string_view operation = trace.operation.empty() ? "unknown" : std::string_view(trace.operation);
  const std::string outcome = Outcome(trace);
  with_outcome[0].second.assign(trace.service);
  with_outcome[1].second.assign(operation);
  with_outcome[2].second.assign(outcome);
  without_outcome[0].second.assign(trace.service);
  without_outcome[1].second.assign(operation);
  requests_.Add(with_outcome);
  if (outcome == "throttled") throttles_.Add(without_outcome);
  latency_.Observe(without_outcome, std::chrono::duration<double>(trace.latency).count());
  return 0;
}

StatusOr<std::unique_ptr<AccessLog>> AccessLog::Open(const std::string& path) {
  if (path == "-") return std::unique_ptr<AccessLog>(new AccessLog(stdout, false));
  std::FILE* file = std::fopen(path.c_str(), "ae");
  if (file == nullptr) return InternalError("cannot open access log " + path);
  return std::unique_ptr<AccessLog>(new AccessLog(file, true));
}

AccessLog::~AccessLog() {
  if (owned_) std::fclose(file_);
}

std::string AccessLog::Line(const server::RequestTrace& trace) {
  nlohmann::json line = {{"time", ToEpochMillis(trace.time) / 1000.0},
                         {"requestId", trace.request_id},
                         {"sourceIp", trace.source_ip},
                         {"service", trace.service},
                         {"operation", trace.operation},
                         {"principal", trace.caller.arn},
                         {"accessKeyId", trace.caller.access_key_id},
                         {"accountId", trace.caller.account_id},
                         {"status", trace.http_status},
                         {"latencyMs", std::chrono::duration<double, std::milli>(trace.latency).count()}};
  if (!trace.status.ok()) line["errorCode"] = std::string(WireName(trace.status));
  return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::uint64_t AccessLog::Observe(const server::RequestTrace& trace) {
  const std::string text = Line(trace) + "\n";
  std::lock_guard lock(mu_);
  std::fwrite(text.data(), 1, text.size(), file_);
  std::fflush(file_);
  return 0;
}

}  // namespace coffer::metrics
