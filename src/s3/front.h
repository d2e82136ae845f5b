// The REST-XML protocol front of S3: from a request head it resolves the
// bucket (path-style, or virtual-hosted from the Host header), routes to an
// operation through the model's http traits (api/rest_routes.h), verifies
// SigV4 (header or presigned; the payload hash checked as the body streams:
// a hex SHA-256, UNSIGNED-PAYLOAD or aws-chunked with chunk signatures and
// trailing checksums), maps the access key to its principal, and streams the
// body into the operation. Answers and errors go out in S3's shape
// (<Error><Code>...<RequestId>, x-amz-request-id, x-amz-id-2), and each
// request is observed once (audit trail, metrics) like the JSON services'.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/rest_routes.h"
#include "auth/sigv4.h"
#include "iam/identity_store.h"
#include "s3/payload.h"
#include "s3/service.h"
#include "server/http_exchange.h"
#include "server/request_hooks.h"

namespace coffer::s3 {

struct S3FrontOptions {
  // Host names under which "<bucket>.<domain>" is a virtual-hosted request,
  // besides "localhost" and "s3.<region>.localhost".
  std::vector<std::string> domains;
  // Largest XML body an operation accepts (CompleteMultipartUpload of 10,000
  // parts fits).
  std::size_t max_xml_body = 2 << 20;
};

class S3Front {
 public:
  S3Front(S3Service& service, const api::RestRouter& routes, auth::SigV4Verifier& verifier,
          iam::IdentityStore& identities, std::function<std::string()> request_ids, S3FrontOptions options);

  // Observers (audit, metrics) and admission (quotas); set before serving.
  void SetHooks(const server::RouterHooks* hooks) { hooks_ = hooks; }

  // Whether the request is S3's: no X-Amz-Target, and either signed for the
  // s3 service or not a POST (unsigned requests are S3's anonymous ones).
  static bool Claims(const server::RequestHead& head);

  server::StreamStart Start(const server::RequestHead& head, const server::ConnectionInfo& connection);

  struct Exchange;
  // Writes the answer (or S3's error document) and observes the request.
  server::HttpResponse Complete(Exchange& exchange, StatusOr<S3Reply> result);
  S3Service* service() { return &service_; }

 private:
  struct Prepared {
    std::unique_ptr<PayloadCheck> check;
    std::unique_ptr<UploadSink> upload;
  };
  StatusOr<Prepared> Begin(Exchange& exchange, const server::ConnectionInfo& connection);
  StatusOr<Prepared> BeginAnonymous(Exchange& exchange, const server::ConnectionInfo& connection);
  // Admission, the payload check and (for uploads) the operation's sink.
  StatusOr<Prepared> Admit(Exchange& exchange, auth::VerifiedIdentity& identity);
  std::string BucketFromHost(std::string_view host) const;

  S3Service& service_;
  const api::RestRouter& routes_;
  auth::SigV4Verifier& verifier_;
  iam::IdentityStore& identities_;
  std::function<std::string()> request_ids_;
  S3FrontOptions options_;
  const server::RouterHooks* hooks_ = nullptr;
};

// S3's error document for a status.
server::HttpResponse S3ErrorResponse(const Status& status, std::string_view resource,
                                     std::string_view request_id, bool head_request);

}  // namespace coffer::s3
