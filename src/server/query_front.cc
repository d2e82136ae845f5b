#include "server/query_front.h"

#include <algorithm>

#include "auth/canonical.h"

namespace coffer::server {
namespace {

std::string_view Header(const auth::HttpRequest& request, std::string_view name) {
  for (const auto& [k, v] : request.headers) {
    if (k.size() == name.size() && std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) == b;
        })) {
      return v;
    }
  }
  return {};
}

std::string_view Namespace(std::string_view service) {
  return service == "sts" ? "https://sts.amazonaws.com/doc/2011-06-15/"
                          : "https://iam.amazonaws.com/doc/2010-05-08/";
}

HttpResponse Xml(int status, std::string body, std::string_view request_id) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers = {{"Content-Type", "text/xml"}, {"x-amzn-RequestId", std::string(request_id)}};
  return r;
}

std::string Decode(std::string_view part) {
  std::string plus(part);
  std::replace(plus.begin(), plus.end(), '+', ' ');
  return auth::internal::UriDecode(plus);
}

}  // namespace

iam::FormParams ParseForm(std::string_view body) {
  iam::FormParams out;
  while (!body.empty()) {
    const std::size_t amp = body.find('&');
    const std::string_view pair = body.substr(0, amp);
    body = amp == std::string_view::npos ? std::string_view() : body.substr(amp + 1);
    if (pair.empty()) continue;
    const std::size_t eq = pair.find('=');
    out[Decode(pair.substr(0, eq))] =
        eq == std::string_view::npos ? std::string() : Decode(pair.substr(eq + 1));
  }
  return out;
}

QueryFront::QueryFront(auth::SigV4Verifier& verifier, iam::IdentityStore& identities)
    : verifier_(verifier), identities_(identities) {}

bool QueryFront::Accepts(const auth::HttpRequest& request) {
  return request.method == "POST" && Header(request, "x-amz-target").empty() &&
         Header(request, "content-type").starts_with("application/x-www-form-urlencoded");
}

StatusOr<std::string> QueryFront::Dispatch(const auth::HttpRequest& request, const ConnectionInfo& connection,
                                           QueryOutcome& out_outcome) {
  const iam::FormParams params = ParseForm(request.body);
  auto action = params.find("Action");
  out_outcome.action = action == params.end() ? std::string() : action->second.substr(0, 128);
  std::string* const out_action = &out_outcome.action;
  ASSIGN_OR_RETURN(auth::VerifiedIdentity identity, verifier_.Verify(request));
  out_outcome.service = identity.service;
  out_outcome.region = identity.region;
  const auto& ops = iam::QueryOperations();
  auto op = std::find_if(ops.begin(), ops.end(), [&](const iam::QueryOp& o) {
    return o.service == identity.service && o.action == *out_action;
  });
  if (op == ops.end()) {
    return Status(ErrorCode::kUnknownOperation, "Could not find operation " + *out_action);
  }
  ASSIGN_OR_RETURN(iam::Principal principal,
                   identities_.PrincipalForRequest(identity.access_key_id, identity.session_token));
  out_outcome.authenticated = true;
  out_outcome.principal = principal;
  iam::QueryContext ctx{principal, CallerFor(principal, connection)};
  ASSIGN_OR_RETURN(std::string result, op->fn(identities_, ctx, params));
  if (*out_action == "UpdateAccessKey" || *out_action == "DeleteAccessKey") {
    verifier_.Forget(params.at("AccessKeyId"));
  }
  return result;
}

HttpResponse QueryFront::Handle(const auth::HttpRequest& request, const ConnectionInfo& connection,
                                std::string_view request_id, QueryOutcome& out_outcome) {
  StatusOr<std::string> result = Dispatch(request, connection, out_outcome);
  const std::string& action = out_outcome.action;
  const std::string ns(Namespace(out_outcome.service));
  if (!result.ok()) {
    out_outcome.status = result.status();
    const iam::QueryError err = iam::QueryErrorFor(result.status().code());
    return Xml(err.http_status,
               "<ErrorResponse xmlns=\"" + ns + "\"><Error><Type>" +
                   (err.http_status >= 500 ? "Receiver" : "Sender") + "</Type><Code>" +
                   std::string(err.code) + "</Code><Message>" + iam::XmlEscape(result.status().message()) +
                   "</Message></Error><RequestId>" + std::string(request_id) + "</RequestId></ErrorResponse>",
               request_id);
  }
  return Xml(200,
             "<" + action + "Response xmlns=\"" + ns + "\"><" + action + "Result>" + *result + "</" + action +
                 "Result><ResponseMetadata><RequestId>" + std::string(request_id) +
                 "</RequestId></ResponseMetadata></" + action + "Response>",
             request_id);
}

}  // namespace coffer::server
