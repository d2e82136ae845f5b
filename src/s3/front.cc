#include "s3/front.h"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "auth/canonical.h"
#include "common/encoding.h"
#include "crypto/crypto.h"
#include "iam/caller.h"
#include "s3/body_writer.h"
#include "s3/errors.h"
#include "s3/payload.h"
#include "s3/uri.h"
#include "s3/xml.h"

namespace coffer::s3 {

// One request from head to answer: what the trace and the error document need.
struct S3Front::Exchange {
  S3Front* front = nullptr;
  auth::HttpRequest head;
  S3Request req;
  server::RequestTrace trace;
  std::chrono::steady_clock::time_point started;
  std::string resource;  // "/bucket/key", for <Resource>
  bool head_request = false;
  nlohmann::json parameters;  // the audit event's requestParameters
  const Operation* op = nullptr;
};

namespace {

// The signing name a request claims, from the Authorization header or a
// presigned URL's X-Amz-Credential; empty when unsigned.
std::string_view ClaimedService(const server::RequestHead& head, bool* out_signed) {
  std::string_view credential;
  const std::string_view auth = head.header("authorization");
  if (const auto at = auth.find("Credential="); at != std::string_view::npos) {
    credential = auth.substr(at + 11);
    credential = credential.substr(0, credential.find_first_of(", "));
  } else if (const auto q = head.target().find("X-Amz-Credential="); q != std::string_view::npos) {
    credential = head.target().substr(q + 17);
    credential = credential.substr(0, credential.find('&'));
  }
  *out_signed = !auth.empty() || !credential.empty();
  // AKID/date/region/service/aws4_request, '/' possibly as %2F.
  std::vector<std::string_view> parts;
  while (!credential.empty() && parts.size() < 5) {
    std::size_t cut = credential.find('/');
    std::size_t skip = 1;
    if (const std::size_t enc = credential.find("%2F"); enc < cut) {
      cut = enc;
      skip = 3;
    }
    parts.push_back(credential.substr(0, cut));
    if (cut == std::string_view::npos) break;
    credential.remove_prefix(cut + skip);
  }
  return parts.size() >= 4 ? parts[3] : std::string_view();
}

std::string HostId(std::string_view request_id) {
  const crypto::Sha256Digest digest = crypto::Sha256(AsBytes(request_id));
  return Base64Encode(ByteView(digest.data(), digest.size()));
}

bool Anonymous(const auth::HttpRequest& head, std::string_view query) {
  for (const auto& [name, value] : head.headers) {
    if (auth::internal::EqualsIgnoreCase(name, "authorization")) return false;
  }
  return query.find("X-Amz-Signature=") == std::string_view::npos &&
         query.find("X-Amz-Credential=") == std::string_view::npos;
}

bool NeedsLength(const auth::HttpRequest& head) {
  bool length = false;
  bool chunked = false;
  for (const auto& [name, value] : head.headers) {
    if (auth::internal::EqualsIgnoreCase(name, "content-length")) length = true;
    if (auth::internal::EqualsIgnoreCase(name, "transfer-encoding")) chunked = true;
  }
  return !length && !chunked;
}

// Streams the body through the payload check into the operation.
class S3Sink final : public server::BodySink {
 public:
  S3Sink(std::unique_ptr<S3Front::Exchange> exchange, std::unique_ptr<PayloadCheck> check,
         std::unique_ptr<UploadSink> upload, std::size_t max_body)
      : exchange_(std::move(exchange)),
        check_(std::move(check)),
        upload_(std::move(upload)),
        max_body_(max_body) {}

  Status Write(std::string_view data) override {
    return check_->Feed(data, [this](std::string_view piece) -> Status {
      if (upload_) return upload_->Write(piece);
      if (exchange_->req.body.size() + piece.size() > max_body_) {
        return S3Error("MaxMessageLengthExceeded", "Your request was too big.");
      }
      exchange_->req.body.append(piece);
      return Status::Ok();
    });
  }

  server::HttpResponse Finish(const Status& body) override {
    if (!body.ok()) return exchange_->front->Complete(*exchange_, body);
    if (Status st = check_->Finish(); !st.ok()) return exchange_->front->Complete(*exchange_, st);
    S3Front& front = *exchange_->front;
    if (upload_) return front.Complete(*exchange_, upload_->Finish(check_->trailer_checksum()));
    // CompleteMultipartUpload's x-amz-checksum-* is the object's, checked there.
    if (exchange_->op->name != "CompleteMultipartUpload") {
      if (Status st = CheckBodyClaims(exchange_->req); !st.ok()) return front.Complete(*exchange_, st);
    }
    return front.Complete(*exchange_, exchange_->op->handler(*front.service(), exchange_->req));
  }

 private:
  std::unique_ptr<S3Front::Exchange> exchange_;
  std::unique_ptr<PayloadCheck> check_;
  std::unique_ptr<UploadSink> upload_;
  std::size_t max_body_;
};

}  // namespace

server::HttpResponse S3ErrorResponse(const Status& status, std::string_view resource,
                                     std::string_view request_id, bool head_request) {
  const S3ErrorInfo info = S3ErrorFor(status);
  server::HttpResponse response;
  response.status = info.http_status;
  response.headers = {{"x-amz-request-id", std::string(request_id)}, {"x-amz-id-2", HostId(request_id)}};
  if (head_request || info.http_status == 304) return response;
  std::string body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>";
  AppendXmlEscaped(info.code, body);
  body.append("</Code><Message>");
  AppendXmlEscaped(status.message(), body);
  body.append("</Message><Resource>");
  AppendXmlEscaped(resource, body);
  body.append("</Resource><RequestId>");
  AppendXmlEscaped(request_id, body);
  body.append("</RequestId><HostId>").append(HostId(request_id)).append("</HostId></Error>");
  response.headers.emplace_back("Content-Type", "application/xml");
  response.body = std::move(body);
  return response;
}

S3Front::S3Front(S3Service& service, const api::RestRouter& routes, auth::SigV4Verifier& verifier,
                 iam::IdentityStore& identities, std::function<std::string()> request_ids,
                 S3FrontOptions options)
    : service_(service),
      routes_(routes),
      verifier_(verifier),
      identities_(identities),
      request_ids_(std::move(request_ids)),
      options_(std::move(options)) {}

bool S3Front::Claims(const server::RequestHead& head) {
  if (!head.header("x-amz-target").empty()) return false;
  bool is_signed = false;
  const std::string_view service = ClaimedService(head, &is_signed);
  if (is_signed) return service == "s3";
  return head.method() != "POST";
}

std::string S3Front::BucketFromHost(std::string_view host) const {
  if (host.starts_with('[')) return {};
  host = host.substr(0, host.find(':'));
  auto under = [&host](std::string_view domain) -> std::string {
    if (host.size() <= domain.size() + 1 || !host.ends_with(domain)) return {};
    if (host[host.size() - domain.size() - 1] != '.') return {};
    return std::string(host.substr(0, host.size() - domain.size() - 1));
  };
  for (const auto& domain : options_.domains) {
    if (std::string bucket = under(domain); !bucket.empty()) return bucket;
  }
  std::string bucket = under("localhost");
  // bucket.s3.<region>.localhost and bucket.s3.localhost
  if (const auto s3 = bucket.rfind(".s3."); s3 != std::string::npos) return bucket.substr(0, s3);
  if (bucket.ends_with(".s3")) return bucket.substr(0, bucket.size() - 3);
  if (bucket == "s3" || bucket.starts_with("s3.")) return {};
  return bucket;
}

server::StreamStart S3Front::Start(const server::RequestHead& head,
                                   const server::ConnectionInfo& connection) {
  auto exchange = std::make_unique<Exchange>();
  Exchange& ex = *exchange;
  ex.front = this;
  ex.head = head.Copy();
  ex.started = std::chrono::steady_clock::now();
  ex.req.request_id = request_ids_();
  ex.req.method = ex.head.method;
  ex.head_request = ex.head.method == "HEAD";
  ex.trace.request_id = ex.req.request_id;
  ex.trace.time = std::chrono::system_clock::now();
  ex.trace.source_ip = connection.source_ip;
  ex.trace.secure = connection.secure;
  ex.trace.user_agent = std::string(head.header("user-agent"));
  ex.trace.service = "s3";
  server::StreamStart start;
  StatusOr<Prepared> prepared = Begin(ex, connection);
  if (!prepared.ok()) {
    start.response = Complete(ex, prepared.status());
    return start;
  }
  start.sink = std::make_unique<S3Sink>(std::move(exchange), std::move(prepared->check),
                                        std::move(prepared->upload), options_.max_xml_body);
  return start;
}

StatusOr<S3Front::Prepared> S3Front::Begin(Exchange& ex, const server::ConnectionInfo& connection) {
  const std::string_view target = ex.head.target;
  const std::size_t q = target.find('?');
  const std::string_view path = target.substr(0, q);
  const std::string_view query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
  ex.resource = std::string(path);
  for (auto& [name, value] : ParseQuery(query)) ex.req.query.emplace(std::move(name), std::move(value));
  std::string host;
  for (const auto& [name, value] : ex.head.headers) {
    if (auth::internal::EqualsIgnoreCase(name, "host")) host = value;
  }
  auto has_header = [&ex](std::string_view name) {
    return std::any_of(ex.head.headers.begin(), ex.head.headers.end(), [name](const auth::Header& h) {
      return auth::internal::EqualsIgnoreCase(h.first, name);
    });
  };
  std::string bucket = BucketFromHost(host);
  StatusOr<api::RestMatch> match = Status::Ok();
  if (!bucket.empty()) {
    std::optional<std::string> key = PercentDecode(path.starts_with('/') ? path.substr(1) : path, false);
    if (!key) return S3Error("InvalidURI", "Couldn't parse the specified URI.");
    ex.resource = "/" + bucket + std::string(path);
    match = routes_.Match(ex.head.method, bucket, std::move(*key), query, has_header);
  } else {
    match = routes_.Match(ex.head.method, path, query, has_header);
  }
  if (!match.ok()) return match.status();
  ex.req.operation = std::string(match->operation);
  ex.req.bucket = match->bucket;
  ex.req.key = match->key;
  ex.trace.operation = ex.req.operation;
  if (!ex.req.bucket.empty()) ex.parameters["bucketName"] = ex.req.bucket;
  if (!ex.req.key.empty()) ex.parameters["key"] = ex.req.key;
  ex.parameters["Host"] = host;
  ex.trace.request = &ex.parameters;
  ex.op = FindOperation(ex.req.operation);

  if (Anonymous(ex.head, query)) return BeginAnonymous(ex, connection);
  auth::VerifyOptions verify;
  verify.body_follows = true;
  verify.want_signing_key = true;
  StatusOr<auth::VerifiedIdentity> verified = verifier_.Verify(ex.head, verify);
  if (!verified.ok()) {
    // A presigned URL past X-Amz-Expires is S3's AccessDenied, not a clock skew.
    if (verified.status().code() == ErrorCode::kSignatureExpired &&
        query.find("X-Amz-Signature=") != std::string_view::npos) {
      return S3Error("AccessDenied", "Request has expired");
    }
    return verified.status();
  }
  auth::VerifiedIdentity identity = std::move(*verified);
  ex.trace.region = identity.region;
  ex.trace.caller.access_key_id = identity.access_key_id;
  if (identity.service != "s3") {
    return S3Error("AuthorizationHeaderMalformed",
                   "The authorization header is malformed; incorrect service \"" + identity.service +
                       "\". This endpoint belongs to \"s3\".");
  }
  ASSIGN_OR_RETURN(iam::Principal principal,
                   identities_.PrincipalForRequest(identity.access_key_id, identity.session_token));
  ex.trace.caller = server::Caller{};
  ex.trace.caller.account_id = principal.account_id;
  ex.trace.caller.user_name = principal.user_name;
  ex.trace.caller.user_id = principal.user_id;
  ex.trace.caller.arn = principal.arn;
  ex.trace.caller.access_key_id = principal.access_key_id;
  ex.req.region = identity.region;
  ex.req.account = principal.account_id;
  ex.req.who = iam::CallerInfoFor(principal, connection.secure, connection.source_ip);
  ex.req.headers = ex.head.headers;
  if (ex.op == nullptr) {
    return S3Error("NotImplemented", "A header you provided implies functionality that is not implemented");
  }
  return Admit(ex, identity);
}

// No credentials at all: the request goes on as the anonymous caller, whom
// only a bucket policy granting "*" lets through (S3Service::Authorize).
StatusOr<S3Front::Prepared> S3Front::BeginAnonymous(Exchange& ex, const server::ConnectionInfo& connection) {
  ex.req.who.caller.anonymous = true;
  ex.req.who.principal_type = "Anonymous";
  ex.req.who.secure_transport = connection.secure;
  ex.req.who.source_ip = connection.source_ip;
  ex.req.headers = ex.head.headers;
  ex.trace.caller.arn = "anonymous";
  if (ex.op == nullptr) {
    return S3Error("NotImplemented", "A header you provided implies functionality that is not implemented");
  }
  // An unsigned body is taken as sent, or checked against a hex SHA-256 the
  // client chose to declare; signed chunks cannot be verified without a key.
  auth::VerifiedIdentity identity;
  identity.payload_hash = "UNSIGNED-PAYLOAD";
  for (const auto& [name, value] : ex.head.headers) {
    if (auth::internal::EqualsIgnoreCase(name, "x-amz-content-sha256")) identity.payload_hash = value;
  }
  if (identity.payload_hash.starts_with("STREAMING-AWS4-")) {
    return S3Error("AccessDenied", "Anonymous requests cannot carry a signed aws-chunked body");
  }
  return Admit(ex, identity);
}

StatusOr<S3Front::Prepared> S3Front::Admit(Exchange& ex, auth::VerifiedIdentity& identity) {
  if (hooks_ != nullptr && hooks_->admission != nullptr) {
    // Quotas per partitioned prefix (quota/s3_prefix_limiter.h), anonymous callers included.
    const nlohmann::json target = {{"bucket", ex.req.bucket}, {"key", ex.req.key}, {"method", ex.req.method}};
    RETURN_IF_ERROR(
        hooks_->admission->Admit(ex.trace.caller, ex.trace.region, "s3", ex.req.operation, target));
  }
  Prepared prepared;
  ASSIGN_OR_RETURN(prepared.check, PayloadCheck::For(ex.head, identity));
  if (ex.op->upload) {
    if (NeedsLength(ex.head))
      return S3Error("MissingContentLength", "You must provide the Content-Length HTTP header.");
    ASSIGN_OR_RETURN(prepared.upload, ex.op->upload(service_, ex.req));
  }
  return prepared;
}

server::HttpResponse S3Front::Complete(Exchange& ex, StatusOr<S3Reply> result) {
  server::HttpResponse response;
  if (result.ok()) {
    response.status = result->status;
    response.headers = std::move(result->headers);
    response.headers.emplace_back("x-amz-request-id", ex.req.request_id);
    response.headers.emplace_back("x-amz-id-2", HostId(ex.req.request_id));
    response.body = std::move(result->body);
    response.content_length = result->content_length;
    response.stream = ex.head_request ? nullptr : std::move(result->stream);
    if (!response.stream && !ex.head_request) response.content_length.reset();
  } else {
    const S3ErrorInfo info = S3ErrorFor(result.status());
    if (info.http_status >= 500) {
      spdlog::error("request {} {} failed: {}", ex.req.request_id, ex.req.operation,
                    result.status().ToString());
    }
    response = S3ErrorResponse(result.status(), ex.resource, ex.req.request_id, ex.head_request);
    ex.trace.status = result.status();
  }
  ex.trace.http_status = response.status;
  ex.trace.latency = std::chrono::steady_clock::now() - ex.started;
  if (hooks_ != nullptr) {
    std::uint64_t ticket = 0;
    for (server::RequestObserver* observer : hooks_->observers)
      ticket = std::max(ticket, observer->Observe(ex.trace));
    response.durability_ticket = ticket;
  }
  return response;
}

}  // namespace coffer::s3
