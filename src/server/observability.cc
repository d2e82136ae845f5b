#include "server/observability.h"

#include <spdlog/spdlog.h>

#include "audit/node_registry.h"
#include "audit/signing_key_store.h"
#include "kms/arn.h"
#include "kms/key_record.h"
#include "kms/key_usage.h"
#include "metrics/instrumented_store.h"
#include "quota/quota_store.h"

namespace coffer::server {
namespace {

using nlohmann::json;

constexpr const char* kBuildVersion = "0.1.0";

StatusOr<quota::QuotaConfig> ReadQuotaFile(const std::string& path) {
  if (path.empty()) return quota::QuotaConfig{};
  ASSIGN_OR_RETURN(std::string text, ReadWholeFile(path));
  const json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return ValidationError(path + " is not a JSON object");
  if (!doc.contains("quotas")) return quota::QuotaConfig{};
  auto config = quota::QuotaConfig::FromJson(doc["quotas"]);
  if (!config.ok()) return ValidationError(path + ": " + config.status().message());
  return config;
}

StatusOr<audit::Durability> ParseDurability(const std::string& mode) {
  if (mode == "strict") return audit::Durability::kStrict;
  if (mode == "batched") return audit::Durability::kBatched;
  return ValidationError("--audit-durability must be strict or batched");
}

}  // namespace

bool IsLoopback(std::string_view ip) {
  return ip.starts_with("127.") || ip == "::1" || ip.starts_with("::ffff:127.");
}

Observability::Observability(const ObservabilityOptions& options, const Clock& clock)
    : options_(options),
      clock_(clock),
      store_commits_(registry_.Histogram("coffer_store_commit_duration_seconds",
                                         "Durable (fsync'd) write-transaction commits of the KMS key store.",
                                         metrics::LatencyBuckets())) {}

Observability::~Observability() { Shutdown(); }

StatusOr<std::unique_ptr<Observability>> Observability::Create(const ObservabilityOptions& options,
                                                               const std::filesystem::path& data_dir,
                                                               const std::string& region,
                                                               const rootkey::RootKey& root_key,
                                                               RandomSource& random, const Clock& clock) {
  std::unique_ptr<Observability> o(new Observability(options, clock));
  if (options.audit) {
    audit::TrailOptions trail;
    ASSIGN_OR_RETURN(trail.log.durability, ParseDurability(options.audit_durability));
    trail.log.dir = data_dir / "audit";
    trail.log.node_id = options.node_id;
    if (!options.audit_dir.empty()) {
      if (options.node_id.empty()) {
        return ValidationError("--audit-dir needs a node id (cluster mode, or --node-id)");
      }
      trail.shared_dir = options.audit_dir;
      trail.log.dir = options.audit_dir / options.node_id;
    }
    trail.log.batch_interval = std::min(options.audit_batch_interval, std::chrono::milliseconds(200));
    trail.log.digest_interval = options.audit_digest_interval;
    trail.log.retention = std::chrono::hours(24 * std::max(0, options.audit_retention_days));
    trail.default_region = region;
    ASSIGN_OR_RETURN(o->trail_, audit::AuditTrail::Open(trail, root_key, random, clock));
  }
  if (options.quotas) {
    ASSIGN_OR_RETURN(o->file_quotas_, ReadQuotaFile(options.quota_config));
    o->limiter_ = std::make_unique<quota::RateLimiter>(clock, o->file_quotas_);
  }
  if (!options.access_log.empty()) {
    ASSIGN_OR_RETURN(o->access_log_, metrics::AccessLog::Open(options.access_log));
  }
  o->request_metrics_ = std::make_unique<metrics::RequestMetrics>(o->registry_);
  o->AddCollectors();
  return o;
}

std::unique_ptr<store::Store> Observability::Instrument(store::Store& inner) {
  return metrics::InstrumentStore(inner, store_commits_);
}

void Observability::AddCollectors() {
  registry_.AddCollector([](std::string& out) {
    metrics::AppendHeader(out, "coffer_build_info", "Build information.", "gauge");
    metrics::AppendSample(out, "coffer_build_info", {{"version", kBuildVersion}}, 1);
  });
  if (trail_) {
    registry_.AddCollector([this](std::string& out) {
      const audit::AuditLogStats s = trail_->log().Stats();
      metrics::AppendHeader(out, "coffer_audit_queue_depth", "Audit events queued, not yet written.",
                            "gauge");
      metrics::AppendSample(out, "coffer_audit_queue_depth", {}, static_cast<double>(s.queue_depth));
      metrics::AppendHeader(out, "coffer_audit_events_total", "Audit events appended.", "counter");
      metrics::AppendSample(out, "coffer_audit_events_total", {}, static_cast<double>(s.appended));
      metrics::AppendHeader(out, "coffer_audit_flushes_total", "Group commits (write + fdatasync).",
                            "counter");
      metrics::AppendSample(out, "coffer_audit_flushes_total", {}, static_cast<double>(s.flushes));
      metrics::AppendHeader(out, "coffer_audit_flush_seconds_total", "Time spent in audit flushes.",
                            "counter");
      metrics::AppendSample(out, "coffer_audit_flush_seconds_total", {}, s.flush_seconds_total);
      metrics::AppendHeader(out, "coffer_audit_write_errors_total", "Audit batches that failed to write.",
                            "counter");
      metrics::AppendSample(out, "coffer_audit_write_errors_total", {}, static_cast<double>(s.write_errors));
      metrics::AppendHeader(out, "coffer_audit_digests_total", "Signed digests written.", "counter");
      metrics::AppendSample(out, "coffer_audit_digests_total", {}, static_cast<double>(s.digests));
    });
  }
  if (limiter_) {
    registry_.AddCollector([this](std::string& out) {
      metrics::AppendHeader(out, "coffer_quota_limit", "Request quota (requests per second) per bucket.",
                            "gauge");
      const auto usage = limiter_->Usage();
      for (const auto& u : usage) {
        metrics::AppendSample(out, "coffer_quota_limit",
                              {{"account", u.account}, {"region", u.region}, {"group", u.group}}, u.rate);
      }
      metrics::AppendHeader(out, "coffer_quota_available", "Tokens left in each quota bucket.", "gauge");
      for (const auto& u : usage) {
        metrics::AppendSample(out, "coffer_quota_available",
                              {{"account", u.account}, {"region", u.region}, {"group", u.group}},
                              u.available);
      }
      metrics::AppendHeader(out, "coffer_quota_throttled_total", "Throttled requests by quota group.",
                            "counter");
      for (const auto& [group, n] : limiter_->Throttled()) {
        metrics::AppendSample(out, "coffer_quota_throttled_total", {{"group", group}},
                              static_cast<double>(n));
      }
    });
  }
}

namespace {

// GetKeyLastUsage reads the trail's key-usage index.
class TrailKeyUsage final : public kms::KeyUsageSource {
 public:
  explicit TrailKeyUsage(audit::KeyUsageIndex& index) : index_(index) {}
  StatusOr<std::optional<kms::KeyLastUse>> LastUse(std::string_view key_arn) override {
    std::optional<audit::KeyUse> use = index_.LastUse(key_arn);
    if (!use) return std::optional<kms::KeyLastUse>();
    return std::optional<kms::KeyLastUse>(
        kms::KeyLastUse{use->operation, use->time, use->event_id, use->request_id});
  }
  TimePoint TrackingStart() override { return index_.TrackingStart(); }

 private:
  audit::KeyUsageIndex& index_;
};

}  // namespace

void Observability::Attach(kms::KmsService& kms, kms::KeyStore& keys) {
  if (trail_) {
    key_usage_ = std::make_unique<TrailKeyUsage>(trail_->key_usage());
    kms.SetKeyUsage(key_usage_.get());
    kms.SetSweepListener([this](std::string_view name, const kms::KeyRecord& record) {
      trail_->RecordServiceAction(audit::ServiceAction{std::string(name), "kms", record.region,
                                                       record.account, record.Arn(), clock_.Now()});
    });
  }
  registry_.AddCollector([&keys](std::string& out) {
    metrics::AppendHeader(out, "coffer_key_cache_lookups_total", "Key material cache lookups by result.",
                          "counter");
    metrics::AppendSample(out, "coffer_key_cache_lookups_total", {{"result", "hit"}},
                          static_cast<double>(keys.cache_hits()));
    metrics::AppendSample(out, "coffer_key_cache_lookups_total", {{"result", "miss"}},
                          static_cast<double>(keys.cache_misses()));
    const double total = static_cast<double>(keys.cache_hits() + keys.cache_misses());
    metrics::AppendHeader(out, "coffer_key_cache_hit_ratio", "Share of key lookups served from memory.",
                          "gauge");
    metrics::AppendSample(out, "coffer_key_cache_hit_ratio", {},
                          total > 0 ? static_cast<double>(keys.cache_hits()) / total : 0);
  });
  // Counted by the key index as keys are written: a scrape reads a few rows,
  // not every key (kms/key_index.h).
  registry_.AddCollector([&keys](std::string& out) {
    std::map<std::string, std::int64_t> by_state;
    if (auto counts = keys.CountByState(); counts.ok()) by_state = std::move(*counts);
    metrics::AppendHeader(out, "coffer_kms_keys", "KMS keys by key state.", "gauge");
    for (const char* state : {"Enabled", "Disabled", "PendingDeletion", "PendingImport"})
      by_state.try_emplace(state, 0);
    for (const auto& [state, n] : by_state)
      metrics::AppendSample(out, "coffer_kms_keys", {{"state", state}}, static_cast<double>(n));
  });
}

RouterHooks Observability::Hooks() {
  RouterHooks hooks;
  hooks.observers.push_back(request_metrics_.get());
  if (trail_) {
    hooks.observers.push_back(trail_.get());
    hooks.fronts.push_back(trail_->CloudTrailFront());
  }
  if (access_log_) hooks.observers.push_back(access_log_.get());
  hooks.admission = limiter_.get();
  if (trail_ && trail_->log().durability() == audit::Durability::kStrict) {
    if (!audit_gate_) {
      audit_gate_ = std::make_unique<AuditGate>([this] { return trail_->log().healthy(); }, limiter_.get());
    }
    hooks.admission = audit_gate_.get();
  }
  if (options_.metrics_access != "off") {
    const bool any = options_.metrics_access == "any";
    hooks.pages.push_back(
        PlainPage{"/metrics", [this, any](std::string_view ip) {
                    if (!any && !IsLoopback(ip)) {
                      return std::make_tuple(403, std::string("text/plain"),
                                             std::string("metrics are served to loopback only\n"));
                    }
                    return std::make_tuple(200, std::string("text/plain; version=0.0.4"), registry_.Render());
                  }});
  }
  return hooks;
}

DurabilityWaiter Observability::Waiter() {
  if (!trail_ || trail_->log().durability() != audit::Durability::kStrict) return {};
  return [this](std::uint64_t ticket, std::function<void(bool)> done) {
    trail_->WhenDurable(ticket, std::move(done));
  };
}

Status Observability::RegisterAuditNode(store::Store& store) {
  if (!trail_ || options_.node_id.empty()) return Status::Ok();
  return audit::RegisterNode(store, options_.node_id, trail_->log().public_key_der(), clock_.Now());
}

void Observability::ReloadQuotas(store::Store& store) {
  if (!limiter_) return;
  quota::QuotaConfig config = file_quotas_;
  auto stored = quota::LoadStoredQuotas(store);
  if (!stored.ok()) {
    spdlog::warn("quotas: cannot read stored overrides: {}", stored.status().message());
    return;
  }
  config.Merge(*stored);
  limiter_->Configure(std::move(config));
}

void Observability::Shutdown() {
  if (trail_) trail_->log().Close();
}

}  // namespace coffer::server
