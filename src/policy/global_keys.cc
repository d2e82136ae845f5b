#include "policy/global_keys.h"

#include <chrono>
#include <string>

#include "common/iso_time.h"

namespace coffer::policy {

void AddGlobalKeys(const CallerInfo& who, TimePoint now, ContextKeys& keys) {
  keys.Set("aws:SecureTransport", who.secure_transport ? "true" : "false");
  if (!who.source_ip.empty()) keys.Set("aws:SourceIp", who.source_ip);
  keys.Set("aws:PrincipalArn", who.caller.role_arn.empty() ? who.caller.arn : who.caller.role_arn);
  keys.Set("aws:PrincipalAccount", who.caller.account);
  if (!who.principal_type.empty()) keys.Set("aws:PrincipalType", who.principal_type);
  if (!who.user_name.empty()) keys.Set("aws:username", who.user_name);
  if (!who.user_id.empty()) keys.Set("aws:userid", who.user_id);
  keys.Set("aws:CurrentTime", IsoSeconds(now));
  keys.Set("aws:EpochTime",
           std::to_string(std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count()));
}

}  // namespace coffer::policy
