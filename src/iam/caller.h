// The caller as authorization sees it, from the principal a request
// authenticated as and the connection it came on. Shared by every protocol
// front (JSON 1.1, Query, S3 REST-XML).
#pragma once

#include <string>

#include "iam/identity_store.h"
#include "policy/identity_source.h"

namespace coffer::iam {

// Takes the principal by value: a caller done with its principal moves it in
// and no string is copied.
inline policy::CallerInfo CallerInfoFor(Principal principal, bool secure_transport,
                                        const std::string& source_ip) {
  policy::CallerInfo who;
  who.principal_type = principal.role_arn.empty() ? "User" : "AssumedRole";
  who.caller = {std::move(principal.arn), std::move(principal.role_arn), std::move(principal.account_id), "",
                false};
  who.user_name = std::move(principal.user_name);
  who.user_id = std::move(principal.user_id);
  who.access_key_id = std::move(principal.access_key_id);
  who.secure_transport = secure_transport;
  who.source_ip = source_ip;
  return who;
}

}  // namespace coffer::iam
