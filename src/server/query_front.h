// The AWS Query protocol front (IAM and STS): form-encoded POSTs naming an
// Action, SigV4 scoped to service iam or sts, XML answers and errors in
// IAM's shapes. The router hands it every form POST without X-Amz-Target.
#pragma once

#include <string>
#include <string_view>

#include "auth/sigv4.h"
#include "iam/iam_ops.h"
#include "iam/identity_store.h"
#include "server/router.h"

namespace coffer::server {

// What the audit trail needs to know of one Query request.
struct QueryOutcome {
  std::string action;   // the Action parameter (may be unknown)
  std::string service;  // "iam" or "sts", from the SigV4 scope once verified
  std::string region;
  bool authenticated = false;
  iam::Principal principal;  // valid when authenticated
  Status status;             // the error, when one was returned
};

class QueryFront {
 public:
  QueryFront(auth::SigV4Verifier& verifier, iam::IdentityStore& identities);

  // A POST with a form body and no X-Amz-Target header.
  static bool Accepts(const auth::HttpRequest& request);

  HttpResponse Handle(const auth::HttpRequest& request, const ConnectionInfo& connection,
                      std::string_view request_id, QueryOutcome& out_outcome);

 private:
  StatusOr<std::string> Dispatch(const auth::HttpRequest& request, const ConnectionInfo& connection,
                                 QueryOutcome& out_outcome);

  auth::SigV4Verifier& verifier_;
  iam::IdentityStore& identities_;
};

// Decodes application/x-www-form-urlencoded text ("a=b&c=d%20e").
iam::FormParams ParseForm(std::string_view body);

}  // namespace coffer::server
