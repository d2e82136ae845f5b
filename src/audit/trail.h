// AuditTrail: the audit module's face to the rest of the process. It observes
// every API request (one CloudTrail-format event each), records background
// actions as AWS Service Events, and serves CloudTrail LookupEvents.
#pragma once

#include <memory>
#include <string>

#include "api/service_model.h"
#include "audit/audit_log.h"
#include "audit/event.h"
#include "audit/key_usage.h"
#include "common/random.h"
#include "rootkey/root_key.h"
#include "server/request_hooks.h"

namespace coffer::audit {

struct TrailOptions {
  AuditLogOptions log;  // log.node_id (cluster mode) is also written into every event
  std::string default_region = "us-east-1";
  // Cluster mode: the shared audit directory whose node subdirectories
  // (log.dir is one of them) LookupEvents reads; empty: log.dir only.
  std::filesystem::path shared_dir;
};

class AuditTrail final : public server::RequestObserver {
 public:
  // Opens <options.log.dir>: signing key (created on first use, wrapped under
  // `root_key`), chain and digests.
  static StatusOr<std::unique_ptr<AuditTrail>> Open(const TrailOptions& options,
                                                    const rootkey::RootKey& root_key, RandomSource& random,
                                                    const Clock& clock);

  // One event per request; in strict mode the returned ticket holds the response.
  std::uint64_t Observe(const server::RequestTrace& trace) override;
  void RecordServiceAction(const ServiceAction& action);
  // Calls back once record `ticket` is durable.
  void WhenDurable(std::uint64_t ticket, std::function<void(bool durable)> done) {
    log_->WhenDurable(ticket, std::move(done));
  }
  // The CloudTrail JSON 1.1 front (LookupEvents) for the router.
  server::ServiceFront CloudTrailFront();
  AuditLog& log() { return *log_; }
  // Last cryptographic use per KMS key (GetKeyLastUsage).
  KeyUsageIndex& key_usage() { return key_usage_; }

 private:
  AuditTrail(const TrailOptions& options, std::unique_ptr<AuditLog> log,
             std::unique_ptr<api::ServiceModel> model, RandomSource& random, const Clock& clock);
  std::string NewEventId();
  void AssignEventId(std::string& out);  // NewEventId into `out`, keeping its capacity

  TrailOptions options_;
  std::unique_ptr<AuditLog> log_;
  std::unique_ptr<api::ServiceModel> model_;
  RandomSource& random_;
  const Clock& clock_;
  KeyUsageIndex key_usage_;
};

}  // namespace coffer::audit
