// The caller as authorization sees it, from the principal a request
// authenticated as and the connection it came on. Shared by every protocol
// front (JSON 1.1, Query, S3 REST-XML).
#pragma once

#include <string>
#include <string_view>

#include "iam/identity_store.h"
#include "policy/identity_source.h"

namespace coffer::iam {

// Fills `who` from the principal, assigning into the strings `who` already
// holds: a caller that reuses one CallerInfo from request to request (the
// JSON router's per-thread scratch) copies without allocating.
inline void AssignCallerInfo(const Principal& principal, bool secure_transport, std::string_view source_ip,
                             policy::CallerInfo& who) {
  who.principal_type = principal.role_arn.empty() ? "User" : "AssumedRole";
  who.caller.arn = principal.arn;
  who.caller.role_arn = principal.role_arn;
  who.caller.account = principal.account_id;
  who.caller.service.clear();
  who.caller.anonymous = false;
  who.user_name = principal.user_name;
  who.user_id = principal.user_id;
  who.access_key_id = principal.access_key_id;
  who.secure_transport = secure_transport;
  who.source_ip = source_ip;
}

inline policy::CallerInfo CallerInfoFor(const Principal& principal, bool secure_transport,
                                        std::string_view source_ip) {
  policy::CallerInfo who;
  AssignCallerInfo(principal, secure_transport, source_ip, who);
  return who;
}

}  // namespace coffer::iam
