#include "audit/trail.h"

#include "audit/cloudtrail_model.h"
#include "audit/lookup.h"
#include "audit/signing_key_store.h"
#include "common/encoding.h"
#include "common/reused.h"

namespace coffer::audit {

StatusOr<std::unique_ptr<AuditTrail>> AuditTrail::Open(const TrailOptions& options,
                                                       const rootkey::RootKey& root_key, RandomSource& random,
                                                       const Clock& clock) {
  ASSIGN_OR_RETURN(auto key, LoadOrCreateSigningKey(options.log.dir, root_key));
  ASSIGN_OR_RETURN(auto log, AuditLog::Open(options.log, std::move(key), clock));
  ASSIGN_OR_RETURN(auto model, api::ServiceModel::Load(api::EmbeddedCloudTrailModel()));
  return std::unique_ptr<AuditTrail>(
      new AuditTrail(options, std::move(log), std::move(model), random, clock));
}

AuditTrail::AuditTrail(const TrailOptions& options, std::unique_ptr<AuditLog> log,
                       std::unique_ptr<api::ServiceModel> model, RandomSource& random, const Clock& clock)
    : options_(options),
      log_(std::move(log)),
      model_(std::move(model)),
      random_(random),
      clock_(clock),
      key_usage_(options.log.dir, clock.Now(), options.shared_dir) {}

std::string AuditTrail::NewEventId() {
  std::string id;
  AssignEventId(id);
  return id;
}

void AuditTrail::AssignEventId(std::string& out) {
  std::uint8_t raw[16] = {};
  if (random_.Fill(raw).ok()) {
    AssignUuid(raw, out);
  } else {
    out = "00000000-0000-4000-8000-000000000000";
  }
}

std::uint64_t AuditTrail::Observe(const server::RequestTrace& trace) {
  struct EventIdTag;
  const Reused<std::string, EventIdTag> reused_id;  // the thread's: no allocation per event
  std::string& event_id = *reused_id;
  AssignEventId(event_id);
  key_usage_.Observe(trace, event_id);
  const std::uint64_t seq =
      log_->Append(BuildApiEvent(trace, event_id, options_.default_region, options_.log.node_id));
  return log_->durability() == Durability::kStrict ? seq : 0;
}

void AuditTrail::RecordServiceAction(const ServiceAction& action) {
  log_->Append(BuildServiceEvent(action, NewEventId(), options_.log.node_id));
}

server::ServiceFront AuditTrail::CloudTrailFront() {
  server::ServiceFront front;
  front.service = "cloudtrail";
  front.model = model_.get();
  front.call = [this](const server::FrontCall& call) -> StatusOr<nlohmann::json> {
    if (call.operation != "LookupEvents") {
      return Status(ErrorCode::kUnknownOperation,
                    "The operation " + std::string(call.operation) + " is not supported by this server.");
    }
    // Listed at every call: a node that joined since is seen at once.
    const std::vector<NodeDir> nodes =
        options_.shared_dir.empty() ? std::vector<NodeDir>{NodeDir{options_.log.node_id, options_.log.dir}}
                                    : ListNodeDirs(options_.shared_dir);
    return LookupEvents(nodes, call.caller.account_id, call.body, clock_.Now());
  };
  return front;
}

}  // namespace coffer::audit
