// The global aws:* condition keys of a request, from the caller and the time,
// for every service's authorizer (KMS has its own filler that also feeds its
// decision cache: kms/authz_context.cc).
#pragma once

#include "common/clock.h"
#include "policy/identity_source.h"
#include "policy/policy.h"

namespace coffer::policy {

// aws:SecureTransport, aws:SourceIp, aws:PrincipalArn, aws:PrincipalAccount,
// aws:PrincipalType, aws:username, aws:userid, aws:CurrentTime, aws:EpochTime.
void AddGlobalKeys(const CallerInfo& who, TimePoint now, ContextKeys& keys);

}  // namespace coffer::policy
