// The parameter-policy sweeper: deletes parameters whose Expiration time has
// come and sends ExpirationNotification / NoChangeNotification once each,
// all on the injected clock.
#include <algorithm>

#include "ssm/names.h"
#include "ssm/policies.h"
#include "ssm/service.h"
#include "ssm/table.h"

namespace coffer::ssm {

StatusOr<int> ParameterStore::RunSweeper() {
  const std::int64_t now = NowMs();
  ASSIGN_OR_RETURN(auto rtxn, store_.BeginRead());
  ASSIGN_OR_RETURN(auto all, ParameterTable::All(*rtxn));
  RETURN_IF_ERROR(rtxn->Commit());
  int events = 0;
  for (const ParameterRecord& seen : all) {
    const ParameterVersion& v = seen.current();
    if (v.policies.empty()) continue;
    auto policies = ParsePolicies(v.policies);
    if (!policies.ok()) continue;
    std::int64_t expires = 0;
    for (const ParameterPolicy& p : *policies) {
      if (p.type == "Expiration") expires = p.expires_ms;
    }
    ASSIGN_OR_RETURN(auto txn, store_.BeginWrite());
    ASSIGN_OR_RETURN(auto current, ParameterTable::Get(*txn, seen.account, seen.region, seen.name));
    if (!current || current->last_version != seen.last_version) continue;
    ServiceEvent base;
    base.account = seen.account;
    base.region = seen.region;
    base.name = seen.name;
    base.arn = ParameterArn(seen.region, seen.account, seen.name);
    base.type = v.type;
    if (expires != 0 && expires <= now) {
      RETURN_IF_ERROR(ParameterTable::Remove(*txn, *current));
      RETURN_IF_ERROR(txn->Commit());
      ServiceEvent e = base;
      e.detail_type = "Parameter Store Policy Action";
      e.event_name = "Expiration";
      Emit(e);
      ++events;
      continue;
    }
    std::vector<ServiceEvent> due;
    for (const ParameterPolicy& p : *policies) {
      if (std::find(current->notified.begin(), current->notified.end(), p.text) != current->notified.end())
        continue;
      bool fire = false;
      if (p.type == "ExpirationNotification") fire = expires != 0 && now >= expires - p.amount_ms;
      if (p.type == "NoChangeNotification") fire = now >= v.modified_ms + p.amount_ms;
      if (!fire) continue;
      current->notified.push_back(p.text);
      ServiceEvent e = base;
      e.detail_type = "Parameter Store Policy Action";
      e.event_name = p.type;
      e.policy_text = p.text;
      due.push_back(std::move(e));
    }
    if (due.empty()) continue;
    RETURN_IF_ERROR(ParameterTable::Put(*txn, *current));
    RETURN_IF_ERROR(txn->Commit());
    for (ServiceEvent& e : due) {
      Emit(e);
      ++events;
    }
  }
  return events;
}

}  // namespace coffer::ssm
