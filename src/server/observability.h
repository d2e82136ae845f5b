// Audit trail, request quotas, metrics and the access log of one server
// process, built from the serve options and handed to the router as hooks.
// Serve() keeps app.cc's edits to a few lines by going through this.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "audit/trail.h"
#include "kms/key_store.h"
#include "kms/key_usage.h"
#include "kms/service.h"
#include "metrics/registry.h"
#include "metrics/request_metrics.h"
#include "quota/rate_limiter.h"
#include "server/request_hooks.h"
#include "store/store.h"

namespace coffer::server {

struct ObservabilityOptions {
  bool audit = true;
  std::string audit_durability = "strict";  // strict | batched
  std::chrono::milliseconds audit_batch_interval{200};
  std::chrono::seconds audit_digest_interval{900};
  int audit_retention_days = 0;  // 0: keep every record
  // Cluster mode: the node id naming this node's audit chain (from the core,
  // not a flag of its own), and the shared directory holding every node's
  // chain in <audit_dir>/<node_id>/ (empty: <data>/audit, seen by this node's
  // LookupEvents only).
  std::string node_id;
  std::filesystem::path audit_dir;
  bool quotas = true;
  std::string quota_config;                 // JSON file with a "quotas" section; empty: defaults
  std::string access_log;                   // "" off, "-" stdout, else a file
  std::string metrics_access = "loopback";  // loopback | any | off
};

class Observability {
 public:
  static StatusOr<std::unique_ptr<Observability>> Create(const ObservabilityOptions& options,
                                                         const std::filesystem::path& data_dir,
                                                         const std::string& region,
                                                         const rootkey::RootKey& root_key,
                                                         RandomSource& random, const Clock& clock);
  ~Observability();

  // The store to hand to KeyStore: `inner` (which must outlive it), with commits timed.
  std::unique_ptr<store::Store> Instrument(store::Store& inner);
  // Service events from the sweeper; key-state and cache gauges.
  void Attach(kms::KmsService& kms, kms::KeyStore& keys);
  RouterHooks Hooks();
  // A background action of a service (Secrets Manager rotations, deletions)
  // as an AWS Service Event; nothing without an audit trail.
  void RecordServiceAction(const audit::ServiceAction& action) {
    if (trail_) trail_->RecordServiceAction(action);
  }
  // Non-empty in strict audit mode.
  DurabilityWaiter Waiter();
  // See quota::RateLimiter::SetHigherThroughputProbe; nothing without quotas.
  void SetHigherThroughputProbe(std::string service, quota::RateLimiter::ThroughputProbe probe) {
    if (limiter_) limiter_->SetHigherThroughputProbe(std::move(service), std::move(probe));
  }
  // Cluster mode: nodes sharing each quota (quota::RateLimiter::SetLiveNodes).
  void SetLiveNodes(int nodes) {
    if (limiter_) limiter_->SetLiveNodes(nodes);
  }
  // With a node id: publishes this node's audit signing public key in the
  // store's node register (audit/node_registry.h) for `coffer audit verify`.
  Status RegisterAuditNode(store::Store& store);
  // Re-reads the config file and the Store's overrides (admin set-quota).
  void ReloadQuotas(store::Store& store);
  // Final digest and flush; safe to call twice.
  void Shutdown();
  std::string RenderMetrics() const { return registry_.Render(); }

 private:
  Observability(const ObservabilityOptions& options, const Clock& clock);
  void AddCollectors();

  ObservabilityOptions options_;
  const Clock& clock_;
  metrics::Registry registry_;
  metrics::HistogramFamily& store_commits_;
  std::unique_ptr<audit::AuditTrail> trail_;
  std::unique_ptr<kms::KeyUsageSource> key_usage_;  // the trail, for GetKeyLastUsage
  std::unique_ptr<quota::RateLimiter> limiter_;
  quota::QuotaConfig file_quotas_;
  std::unique_ptr<metrics::RequestMetrics> request_metrics_;
  std::unique_ptr<metrics::AccessLog> access_log_;
  std::unique_ptr<Admission> audit_gate_;  // strict audit: refuses while the trail cannot be written
};

// Strict audit fails closed: while the trail cannot be written, audited
// requests are refused (InternalFailure, 500) before they run; otherwise
// `next` (the rate limiter, may be null) decides.
class AuditGate final : public Admission {
 public:
  AuditGate(std::function<bool()> healthy, Admission* next) : healthy_(std::move(healthy)), next_(next) {}
  Status Admit(const Caller& caller, std::string_view region, std::string_view service,
               std::string_view operation, JsonView body) override {
    if (!healthy_()) {
      return Status(ErrorCode::kInternal,
                    "The audit trail cannot be written; requests are refused until it can be (fail closed)");
    }
    return next_ == nullptr ? Status::Ok() : next_->Admit(caller, region, service, operation, body);
  }

 private:
  std::function<bool()> healthy_;
  Admission* next_;
};

// Whether an address is IPv4/IPv6 loopback (127.0.0.0/8, ::1, ::ffff:127.x).
bool IsLoopback(std::string_view ip);

}  // namespace coffer::server
