// The caller as authorization sees it, from the principal a request
// authenticated as and the connection it came on. Shared by every protocol
// front (JSON 1.1, Query, S3 REST-XML).
#pragma once

#include <string>

#include "iam/identity_store.h"
#include "policy/identity_source.h"

namespace coffer::iam {

inline policy::CallerInfo CallerInfoFor(const Principal& principal, bool secure_transport,
                                        const std::string& source_ip) {
  policy::CallerInfo who;
  who.caller = {principal.arn, principal.role_arn, principal.account_id, "", false};
  who.principal_type = principal.role_arn.empty() ? "User" : "AssumedRole";
  who.user_name = principal.user_name;
  who.user_id = principal.user_id;
  who.access_key_id = principal.access_key_id;
  who.secure_transport = secure_transport;
  who.source_ip = source_ip;
  return who;
}

}  // namespace coffer::iam
