#include "server/router.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

#include "api/validator.h"
#include "common/encoding.h"
#include "common/json_parse.h"
#include "common/json_writer.h"
#include "server/error_table.h"
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
  response.headers = {{"Content-Type", std::string(kJsonContentType)},
                      {"x-amzn-RequestId", std::string(request_id)}};
  return response;
}

// Serialises a response; bytes that are not UTF-8 (say, from a tampered
// ciphertext header quoted in a message) are replaced, never thrown on.
std::string Dump(const json& value) { return WriteJson(value); }

}  // namespace

policy::CallerInfo CallerFor(const iam::Principal& principal, const ConnectionInfo& connection) {
  policy::CallerInfo who;
  who.caller = {principal.arn, principal.role_arn, principal.account_id, "", false};
  who.principal_type = principal.role_arn.empty() ? "User" : "AssumedRole";
  who.user_name = principal.user_name;
  who.user_id = principal.user_id;
  who.access_key_id = principal.access_key_id;
  who.secure_transport = connection.secure;
  who.source_ip = connection.source_ip;
  return who;
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
  std::uint8_t raw[16] = {};
  std::copy(prefix_.begin(), prefix_.end(), raw);
  std::uint64_t n = counter_.fetch_add(1, std::memory_order_relaxed);
  for (int i = 15; i >= 8; --i) {
    raw[i] = static_cast<std::uint8_t>(n);
    n >>= 8;
  }
  return FormatUuid(raw);
}

Router::Router(const api::ServiceModel& kms_model, auth::SigV4Verifier& verifier,
               iam::IdentityStore& identities, kms::KmsService& kms, RandomSource& random)
    : kms_model_(kms_model), verifier_(verifier), identities_(identities), kms_(kms), request_ids_(random) {
  for (const auto& op : kms::Operations()) {
    const api::Operation* model_op = kms_model_.FindOperation(op.name);
    if (model_op == nullptr) continue;  // a handler the model does not know is never routed
    routes_.emplace(kms_model_.target_prefix() + "." + std::string(op.name),
                    Route{model_op, op.fn, "kms:" + std::string(op.name)});
  }
}

HttpResponse Router::ErrorResponse(const Status& status, std::string_view request_id) {
  const ErrorInfo info = LookupError(status.code());
  const json body = {{"__type", info.type}, {"message", status.message()}};
  HttpResponse response = JsonResponse(info.http_status, Dump(body), request_id);
  response.headers.emplace_back("x-amzn-ErrorType", std::string(info.type));
  return response;
}

HttpResponse Router::Handle(const auth::HttpRequest& request, const ConnectionInfo& connection) {
  const std::string request_id = request_ids_.Next();
  if (request.method == "GET" && (request.target == "/healthz" || request.target == "/ping")) {
    return JsonResponse(200, R"({"status":"ok"})", request_id);
  }
  if (query_ != nullptr && QueryFront::Accepts(request))
    return query_->Handle(request, connection, request_id);
  const std::string_view target = FindHeader(request, "x-amz-target");
  StatusOr<json> result = Dispatch(request, target, connection);
  if (!result.ok()) {
    const ErrorInfo info = LookupError(result.status().code());
    if (info.http_status >= 500) {
      spdlog::error("request {} {} failed: {}", request_id, target, result.status().ToString());
    } else {
      spdlog::debug("request {} {} from {} -> {}", request_id, target, connection.source_ip, info.type);
    }
    return ErrorResponse(result.status(), request_id);
  }
  spdlog::debug("request {} {} from {} -> 200", request_id, target, connection.source_ip);
  return JsonResponse(200, Dump(*result), request_id);
}

StatusOr<json> Router::Dispatch(const auth::HttpRequest& request, std::string_view target,
                                const ConnectionInfo& connection) {
  if (request.method != "POST") {
    return Status(ErrorCode::kUnknownOperation, "Only POST is supported by the AWS JSON protocol");
  }
  ASSIGN_OR_RETURN(auth::VerifiedIdentity identity, verifier_.Verify(request));
  if (identity.service != kService) {
    return Status(ErrorCode::kInvalidSignature,
                  "Credential should be scoped to correct service: '" + std::string(kService) + "'. ");
  }
  auto route = routes_.find(std::string(target));
  if (route == routes_.end()) {
    return Status(ErrorCode::kUnknownOperation, "The operation " + std::string(target.substr(0, 128)) +
                                                    " is not supported by this server.");
  }
  ASSIGN_OR_RETURN(iam::Principal principal,
                   identities_.PrincipalForRequest(identity.access_key_id, identity.session_token));
  const std::optional<json> parsed = request.body.empty() ? json::object() : ParseJson(request.body);
  if (!parsed) {
    return Status(ErrorCode::kSerialization, "The request body is not valid JSON");
  }
  const json& body = *parsed;
  RETURN_IF_ERROR(api::ValidateInput(kms_model_, *route->second.model_op, body));
  kms::RequestContext ctx{principal.account_id, identity.region, principal.arn, route->second.action};
  ctx.who = CallerFor(principal, connection);
  ctx.request = &body;
  try {
    return route->second.fn(kms_, ctx, body);
  } catch (const std::exception&) {
    // Validation makes this unreachable; if it is reached, say so without detail.
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
