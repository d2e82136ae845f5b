#include "server/router.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

#include "api/validator.h"
#include "common/encoding.h"
#include "common/json_view.h"
#include "common/json_writer.h"
#include "common/reused.h"
#include "iam/caller.h"
#include "server/error_table.h"
#include "server/http_wire.h"
#include "server/query_front.h"

namespace coffer::server {
namespace {

using nlohmann::json;

constexpr std::string_view kJsonContentType = "application/x-amz-json-1.1";
constexpr std::string_view kService = "kms";

std::string_view FindHeader(const auth::HttpRequest& request, std::string_view name) {
  for (const auto& [k, v] : request.headers) {
    if (k.size() == name.size() &&
        std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) { return std::tolower(a) == b; })) {
      return v;
    }
  }
  return {};
}

HttpResponse JsonResponse(int status, std::string body, std::string_view request_id) {
  HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  response.headers = RecycledHeaders({{"Content-Type", kJsonContentType}, {"x-amzn-RequestId", request_id}});
  return response;
}

// The access key id and region a request claims (Credential=AKID/date/region/
// service/...), recorded in the audit even when its signature does not verify.
// Returns the claimed signing name (empty when there is none).
std::string_view ClaimedCredential(const auth::HttpRequest& request, RequestTrace& trace) {
  const std::string_view auth = FindHeader(request, "authorization");
  const auto start = auth.find("Credential=");
  if (start == std::string_view::npos) return {};
  const std::string_view scope = auth.substr(start + 11, auth.find_first_of(", ", start) - start - 11);
  std::size_t from = 0;
  for (int part = 0; part < 4; ++part) {
    const std::size_t slash = scope.find('/', from);
    const std::string_view piece = scope.substr(from, slash - from);
    if (part == 0) trace.caller.access_key_id = piece.substr(0, 128);
    if (part == 2) trace.region = piece.substr(0, 64);
    if (part == 3) return piece.substr(0, 16);
    if (slash == std::string_view::npos) return {};
    from = slash + 1;
  }
  return {};
}

void Reset(RequestTrace& t) {
  ResetKeepingCapacity(t, std::array{&t.request_id, &t.source_ip, &t.user_agent, &t.service, &t.operation,
                                     &t.region, &t.caller.account_id, &t.caller.user_name, &t.caller.user_id,
                                     &t.caller.arn, &t.caller.access_key_id});
}

void Reset(kms::RequestContext& c) {
  ResetKeepingCapacity(
      c, std::array{&c.account, &c.region, &c.principal_arn, &c.action, &c.request_id, &c.who.caller.arn,
                    &c.who.caller.role_arn, &c.who.caller.account, &c.who.principal_type, &c.who.user_name,
                    &c.who.user_id, &c.who.access_key_id, &c.who.source_ip});
}

void BeginTrace(const auth::HttpRequest& request, const ConnectionInfo& connection, RequestTrace& trace) {
  trace.time = std::chrono::system_clock::now();
  trace.source_ip = connection.source_ip;
  trace.secure = connection.secure;
  trace.user_agent = FindHeader(request, "user-agent");
}

// Serialises a response; bytes that are not UTF-8 (say, from a tampered
// ciphertext header quoted in a message) are replaced, never thrown on.
std::string Dump(const json& value) { return WriteJson(value); }

}  // namespace

policy::CallerInfo CallerFor(const iam::Principal& principal, const ConnectionInfo& connection) {
  return iam::CallerInfoFor(principal, connection.secure, connection.source_ip);
}

std::string NewRequestId(RandomSource& random) {
  std::uint8_t raw[16] = {};
  if (!random.Fill(raw).ok()) return "00000000-0000-4000-8000-000000000000";
  return FormatUuid(raw);
}

RequestIdGenerator::RequestIdGenerator(RandomSource& random) {
  if (!random.Fill(prefix_).ok()) prefix_.fill(0);
}

// A random per-process prefix and a counter: unique like a UUID, without a
// trip to the DRBG on every request.
std::string RequestIdGenerator::Next() {
  std::string id;
  NextInto(id);
  return id;
}

void RequestIdGenerator::NextInto(std::string& out) {
  std::uint8_t raw[16] = {};
  std::copy(prefix_.begin(), prefix_.end(), raw);
  std::uint64_t n = counter_.fetch_add(1, std::memory_order_relaxed);
  for (int i = 15; i >= 8; --i) {
    raw[i] = static_cast<std::uint8_t>(n);
    n >>= 8;
  }
  AssignUuid(raw, out);
}

Router::Router(const api::ServiceModel& kms_model, auth::SigV4Verifier& verifier,
               iam::IdentityStore& identities, kms::KmsService& kms, RandomSource& random)
    : kms_model_(kms_model), verifier_(verifier), identities_(identities), kms_(kms), request_ids_(random) {
  for (const auto& op : kms::Operations()) {
    const api::Operation* model_op = kms_model_.FindOperation(op.name);
    if (model_op == nullptr) continue;  // a handler the model does not know is never routed
    routes_.emplace(kms_model_.target_prefix() + "." + std::string(op.name),
                    Route{model_op, op.fn, op.view_fn, "kms:" + std::string(op.name)});
  }
}

// A parsed request or response body.
class RequestDocument {
 public:
  enum class Role { kRequest = 0, kResponse = 1 };
  explicit RequestDocument(Role role = Role::kRequest) {
    if (role == Role::kRequest) {
      document_ = &*request_.emplace();
    } else {
      document_ = &*response_.emplace();
    }
  }

  // An empty body reads as {} (AWS's SDKs send {} for operations without input).
  bool Parse(std::string_view text) {
    empty_ = text.empty();
    return empty_ || document_->Parse(text);
  }
  JsonView root() const {
    static const json kEmptyObject = json::object();
    return empty_ ? JsonView(kEmptyObject) : document_->root();
  }

 private:
  struct RequestTag;
  struct ResponseTag;
  std::optional<Reused<JsonDocument, RequestTag>> request_;  // the one of its role is set
  std::optional<Reused<JsonDocument, ResponseTag>> response_;
  JsonDocument* document_ = nullptr;
  bool empty_ = false;
};

HttpResponse Router::ErrorResponse(const Status& status, std::string_view request_id) {
  return ErrorResponse(LookupError(status.code()), status, request_id);
}

ErrorInfo Router::ErrorFor(const ServiceFront* front, const Status& status) {
  const ErrorCode code = status.code();
  if (!status.type().empty()) return {status.type(), LookupError(code).http_status};
  if (front != nullptr && front->error_for) {
    if (std::optional<WireError> own = front->error_for(code)) return {own->type, own->http_status};
  }
  return LookupError(code);
}

HttpResponse Router::ErrorResponse(const ErrorInfo& info, const Status& status, std::string_view request_id) {
  const json body = {{"__type", info.type}, {"message", status.message()}};
  HttpResponse response = JsonResponse(info.http_status, Dump(body), request_id);
  response.headers.emplace_back("x-amzn-ErrorType", std::string(info.type));
  return response;
}

HttpResponse Router::Handle(const auth::HttpRequest& request, const ConnectionInfo& connection) {
  struct TraceTag;
  const Reused<RequestTrace, TraceTag> reused_trace;
  RequestTrace& trace = *reused_trace;
  Reset(trace);
  request_ids_.NextInto(trace.request_id);
  const std::string& request_id = trace.request_id;
  if (request.method == "GET" && (request.target == "/healthz" || request.target == "/ping")) {
    // /healthz is readiness (a load balancer takes the node out on 503; the
    // reason goes to the log, never the body); /ping only says the process runs.
    if (request.target == "/healthz" && hooks_.store_health && !hooks_.store_health().ok()) {
      return JsonResponse(503, R"({"status":"unavailable","failing":"store"})", request_id);
    }
    return JsonResponse(200, R"({"status":"ok"})", request_id);
  }
  if (query_ != nullptr && QueryFront::Accepts(request)) return HandleQuery(request, connection, trace);
  for (const auto& page : hooks_.pages) {
    if (request.method != "GET" || request.target != page.path) continue;
    auto [status, content_type, text] = page.render(connection.source_ip);
    HttpResponse response;
    response.status = status;
    response.headers = {{"Content-Type", content_type}};
    response.body = std::move(text);
    return response;
  }
  const auto started = std::chrono::steady_clock::now();
  BeginTrace(request, connection, trace);
  const std::string_view target = FindHeader(request, "x-amz-target");
  const ServiceFront* front = nullptr;
  // Both outlive Notify: the audit record reads the request and response from them.
  RequestDocument document;
  RequestDocument answer(RequestDocument::Role::kResponse);
  StatusOr<std::string> result = Dispatch(request, target, connection, trace, document, front);
  HttpResponse response;
  if (!result.ok()) {
    const ErrorInfo info = ErrorFor(front, result.status());
    if (info.http_status >= 500) {
      spdlog::error("request {} {} failed: {}", request_id, target, result.status().ToString());
    } else {
      spdlog::debug("request {} {} from {} -> {}", request_id, target, connection.source_ip, info.type);
    }
    response = ErrorResponse(info, result.status(), request_id);
    trace.status = result.status();
  } else {
    spdlog::debug("request {} {} from {} -> 200", request_id, target, connection.source_ip);
    response = JsonResponse(200, std::move(*result), request_id);
    if (answer.Parse(response.body)) trace.response = answer.root();
  }
  trace.http_status = response.status;
  trace.latency = std::chrono::steady_clock::now() - started;
  response.durability_ticket = Notify(trace);
  return response;
}

// IAM and STS requests are audited like the JSON services: one event each,
// allowed or not (their form bodies, which carry policy documents and
// passwords, are not recorded).
HttpResponse Router::HandleQuery(const auth::HttpRequest& request, const ConnectionInfo& connection,
                                 RequestTrace& trace) {
  const auto started = std::chrono::steady_clock::now();
  BeginTrace(request, connection, trace);
  QueryOutcome outcome;
  HttpResponse response = query_->Handle(request, connection, trace.request_id, outcome);
  const std::string_view claimed_service = ClaimedCredential(request, trace);
  trace.service = outcome.service.empty() ? std::string(claimed_service) : outcome.service;
  trace.operation = outcome.action;
  if (!outcome.region.empty()) trace.region = outcome.region;
  if (outcome.authenticated) {
    const iam::Principal& p = outcome.principal;
    trace.caller = Caller{p.account_id, p.user_name, p.user_id, p.arn, p.access_key_id};
  }
  trace.status = outcome.status;
  trace.http_status = response.status;
  trace.latency = std::chrono::steady_clock::now() - started;
  response.durability_ticket = Notify(trace);
  return response;
}

std::uint64_t Router::Notify(RequestTrace& trace) {
  std::uint64_t ticket = 0;
  for (RequestObserver* observer : hooks_.observers) ticket = std::max(ticket, observer->Observe(trace));
  return ticket;
}

const ServiceFront* Router::FindFront(std::string_view target) const {
  for (const auto& front : hooks_.fronts) {
    const std::string& prefix = front.model->target_prefix();
    if (target.size() > prefix.size() && target.starts_with(prefix) && target[prefix.size()] == '.') {
      return &front;
    }
  }
  return nullptr;
}

const api::Operation* Router::FindOperation(std::string_view target, const ServiceFront* front) const {
  if (front != nullptr)
    return front->model->FindOperation(target.substr(front->model->target_prefix().size() + 1));
  auto route = routes_.find(target);
  return route == routes_.end() ? nullptr : route->second.model_op;
}

StatusOr<std::string> Router::Dispatch(const auth::HttpRequest& request, std::string_view target,
                                       const ConnectionInfo& connection, RequestTrace& trace,
                                       RequestDocument& document, const ServiceFront*& front) {
  if (request.method != "POST") {
    return Status(ErrorCode::kUnknownOperation, "Only POST is supported by the AWS JSON protocol");
  }
  front = FindFront(target);
  const api::Operation* model_op = FindOperation(target, front);
  trace.service = front != nullptr ? std::string_view(front->service) : kService;
  if (model_op != nullptr) trace.operation = model_op->name;  // known before authentication, for the audit
  ClaimedCredential(request, trace);
  ASSIGN_OR_RETURN(auth::VerifiedIdentity identity, verifier_.Verify(request));
  trace.region = identity.region;
  if (trace.caller.access_key_id != identity.access_key_id)
    trace.caller.access_key_id = identity.access_key_id;
  if (identity.service != trace.service) {
    return Status(ErrorCode::kInvalidSignature,
                  "Credential should be scoped to correct service: '" + trace.service + "'. ");
  }
  if (model_op == nullptr) {
    return Status(ErrorCode::kUnknownOperation, "The operation " + std::string(target.substr(0, 128)) +
                                                    " is not supported by this server.");
  }
  ASSIGN_OR_RETURN(std::shared_ptr<const iam::Principal> shared_principal,
                   identities_.SharedPrincipalForRequest(identity.access_key_id, identity.session_token));
  const iam::Principal& principal = *shared_principal;
  trace.caller.account_id = principal.account_id;
  trace.caller.user_name = principal.user_name;
  trace.caller.user_id = principal.user_id;
  trace.caller.arn = principal.arn;
  trace.caller.access_key_id = principal.access_key_id;  // the same id: no copy
  if (!document.Parse(request.body)) {
    return Status(ErrorCode::kSerialization, "The request body is not valid JSON");
  }
  const JsonView body = document.root();
  if (body.is_object()) trace.request = body;
  RETURN_IF_ERROR(api::ValidateInput(front != nullptr ? *front->model : kms_model_, *model_op, body));
  if (hooks_.admission != nullptr) {
    RETURN_IF_ERROR(
        hooks_.admission->Admit(trace.caller, trace.region, trace.service, trace.operation, body));
  }
  struct ContextTag;
  const Reused<kms::RequestContext, ContextTag> reused_context;
  kms::RequestContext& ctx = *reused_context;
  Reset(ctx);
  iam::AssignCallerInfo(principal, connection.secure, connection.source_ip, ctx.who);
  if (front != nullptr) {
    ASSIGN_OR_RETURN(json answer, CallFront(*front, model_op->name, ctx.who, trace, body));
    return Dump(answer);
  }
  const Route& route = routes_.find(target)->second;
  ctx.account = ctx.who.caller.account;
  ctx.region = identity.region;
  ctx.principal_arn = ctx.who.caller.arn;
  ctx.action = route.action;
  ctx.request = body;
  ctx.request_id = trace.request_id;
  try {
    // Hot-path operations read the parsed document; the rest get an nlohmann copy.
    if (route.view_fn != nullptr) return route.view_fn(kms_, ctx, body);
    ASSIGN_OR_RETURN(json answer, route.fn(kms_, ctx, body.ToNlohmann()));
    return Dump(answer);
  } catch (const std::exception&) {
    // Validation makes this unreachable; if it is reached, say so without detail.
    return Status(ErrorCode::kInternal, "The request could not be processed");
  }
}

StatusOr<json> Router::CallFront(const ServiceFront& front, std::string_view operation,
                                 const policy::CallerInfo& who, RequestTrace& trace, JsonView body) {
  try {
    const json copy = body.ToNlohmann();
    return front.call(FrontCall{trace.caller, who, trace.region, operation, copy, trace.request_id});
  } catch (const std::exception&) {
    return Status(ErrorCode::kInternal, "The request could not be processed");
  }
}

std::vector<std::string> Router::Implemented() const {
  std::vector<std::string> out;
  for (const auto& [target, route] : routes_) out.push_back(route.model_op->name);
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> Router::NotImplemented() const {
  std::set<std::string> implemented;
  for (const auto& [target, route] : routes_) implemented.insert(route.model_op->name);
  std::vector<std::string> out;
  for (auto name : kms_model_.OperationNames()) {
    if (!implemented.contains(std::string(name))) out.emplace_back(name);
  }
  return out;
}

}  // namespace coffer::server
