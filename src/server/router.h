// The AWS JSON 1.1 protocol front: authenticates the request (SigV4), maps the
// access key to its principal, dispatches on X-Amz-Target through one table,
// validates the body against AWS's service model, runs the operation and
// encodes the answer or the AWS-shaped error. It never knows what a key is.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "api/service_model.h"
#include "auth/sigv4.h"
#include "common/random.h"
#include "iam/identity_store.h"
#include "kms/service.h"
#include "server/error_table.h"
#include "server/http_exchange.h"
#include "server/request_hooks.h"

namespace coffer::server {

// Request ids for x-amzn-RequestId.
class QueryFront;

class RequestIdGenerator {
 public:
  explicit RequestIdGenerator(RandomSource& random);
  std::string Next();
  void NextInto(std::string& out);  // the same, assigned into `out`

 private:
  std::array<std::uint8_t, 8> prefix_{};
  std::atomic<std::uint64_t> counter_{0};
};

class RequestDocument;  // router.cc: the parsed body of one request

class Router {
 public:
  Router(const api::ServiceModel& kms_model, auth::SigV4Verifier& verifier, iam::IdentityStore& identities,
         kms::KmsService& kms, RandomSource& random);

  HttpResponse Handle(const auth::HttpRequest& request, const ConnectionInfo& connection);

  // The IAM/STS Query protocol front, for form POSTs (issue 4).
  void SetQueryFront(QueryFront* query) { query_ = query; }
  // Observers, quota, extra services and plain pages; set before serving.
  void SetHooks(RouterHooks hooks) { hooks_ = std::move(hooks); }

  // The AWS-shaped error response for a status (also used by the HTTP layer
  // for errors found before routing, e.g. an oversized body).
  static HttpResponse ErrorResponse(const Status& status, std::string_view request_id);

  // Operations of the model that have a handler, and those that do not.
  std::vector<std::string> Implemented() const;
  std::vector<std::string> NotImplemented() const;

 private:
  struct Route {
    const api::Operation* model_op;
    kms::OperationFn fn;
    kms::ViewOperationFn view_fn;
    std::string action;  // "kms:Encrypt"
  };
  // `out_front` is the service front the target named (nullptr for KMS or an unknown target).
  // The response body (compact JSON text) or the error.
  StatusOr<std::string> Dispatch(const auth::HttpRequest& request, std::string_view target,
                                 const ConnectionInfo& connection, RequestTrace& trace,
                                 RequestDocument& document, const ServiceFront*& out_front);
  StatusOr<nlohmann::json> CallFront(const ServiceFront& front, std::string_view operation,
                                     const policy::CallerInfo& who, RequestTrace& trace, JsonView body);
  // The wire name and status of an error: the front's own name where it has one.
  static ErrorInfo ErrorFor(const ServiceFront* front, const Status& status);
  static HttpResponse ErrorResponse(const ErrorInfo& info, const Status& status, std::string_view request_id);
  const ServiceFront* FindFront(std::string_view target) const;
  const api::Operation* FindOperation(std::string_view target, const ServiceFront* front) const;
  std::uint64_t Notify(RequestTrace& trace);
  HttpResponse HandleQuery(const auth::HttpRequest& request, const ConnectionInfo& connection,
                           RequestTrace& trace);

  const api::ServiceModel& kms_model_;
  auth::SigV4Verifier& verifier_;
  iam::IdentityStore& identities_;
  kms::KmsService& kms_;
  RequestIdGenerator request_ids_;
  std::map<std::string, Route, std::less<>> routes_;  // full X-Amz-Target -> route
  QueryFront* query_ = nullptr;
  RouterHooks hooks_;
};

// The caller as authorization sees it: principal, transport, source address.
policy::CallerInfo CallerFor(const iam::Principal& principal, const ConnectionInfo& connection);

// A fresh request id (UUID v4).
std::string NewRequestId(RandomSource& random);

}  // namespace coffer::server
