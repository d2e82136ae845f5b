// What the router tells the rest of the process about each request, and what
// it asks before running one. The audit trail, metrics and the access log are
// RequestObservers; quotas are an Admission; extra JSON 1.1 services (the
// CloudTrail LookupEvents front) are ServiceFronts. Header-only, so the
// modules implementing them do not link against the server.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "common/clock.h"
#include "common/json_view.h"
#include "common/status_or.h"
#include "policy/identity_source.h"

namespace coffer::api {
class ServiceModel;
}

namespace coffer::server {

// The authenticated caller (empty strings before authentication succeeded).
struct Caller {
  std::string account_id;
  std::string user_name;
  std::string user_id;  // principalId
  std::string arn;
  std::string access_key_id;
};

// One request as it ended. Pointers are valid only during Observe().
struct RequestTrace {
  std::string request_id;
  TimePoint time;                      // when the request arrived
  std::chrono::nanoseconds latency{};  // until the response was ready
  std::string source_ip;
  std::string user_agent;
  bool secure = false;
  std::string invoked_by;  // "s3.amazonaws.com" when a service made the call for the caller
  std::string service;     // "kms", "cloudtrail" (from the target; empty when unknown)
  std::string operation;   // "Encrypt" (empty when the target is unknown)
  std::string region;      // from the SigV4 scope
  Caller caller;
  JsonView request{};   // body that passed validation (absent when none)
  JsonView response{};  // success body (absent on errors)
  Status status;        // the error, when one was returned
  int http_status = 200;
};

class RequestObserver {
 public:
  virtual ~RequestObserver() = default;
  // Called once per API request. Returns a durability ticket: non-zero means
  // the response must wait until WhenDurable(ticket) calls back.
  virtual std::uint64_t Observe(const RequestTrace& trace) = 0;
};

// Runs `done` (on any thread) once the ticket's record is durable.
// `durable` is false when the record could not be written: the response is
// then replaced by an error (strict audit fails closed).
using DurabilityWaiter = std::function<void(std::uint64_t ticket, std::function<void(bool durable)> done)>;

class Admission {
 public:
  virtual ~Admission() = default;
  // OK, or kThrottling with AWS's message.
  virtual Status Admit(const Caller& caller, std::string_view region, std::string_view service,
                       std::string_view operation, JsonView body) = 0;
};

// One authenticated, validated call to a ServiceFront's operation. References
// are valid for the duration of the call only.
struct FrontCall {
  const Caller& caller;
  const policy::CallerInfo& who;  // the caller as authorization sees it
  std::string_view region;        // from the SigV4 scope
  std::string_view operation;     // "GetSecretValue"
  const nlohmann::json& body;     // validated against the front's model
  std::string_view request_id;
};

// A service's own wire name and HTTP status for an error code.
struct WireError {
  std::string_view type;
  int http_status = 400;
};

// An additional AWS JSON 1.1 service on the same port.
struct ServiceFront {
  std::string service;  // SigV4 signing name, "cloudtrail"
  const api::ServiceModel* model = nullptr;
  std::function<StatusOr<nlohmann::json>(const FrontCall& call)> call;
  // Where this service names an error differently from the shared table
  // (server/error_table.cc); nullopt keeps the shared name. May be empty.
  std::function<std::optional<WireError>(ErrorCode code)> error_for;
};

// GET endpoints outside the AWS protocols (e.g. /metrics); the handler gets
// the peer address and returns status, content type and body.
struct PlainPage {
  std::string path;
  std::function<std::tuple<int, std::string, std::string>(std::string_view source_ip)> render;
};

struct RouterHooks {
  std::vector<RequestObserver*> observers;
  Admission* admission = nullptr;
  std::vector<ServiceFront> fronts;
  std::vector<PlainPage> pages;
  // GET /healthz answers 503 while this says the store cannot be reached
  // (server/store_health.h); empty: always 200.
  std::function<Status()> store_health;
};

}  // namespace coffer::server
