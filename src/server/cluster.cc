#include "server/cluster.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <string>

namespace coffer::server {
namespace {

enum class Forget { kNothing, kKeys, kDecisions, kQuotas };

struct TableRule {
  std::string_view table;
  Forget forget;
};

// Tables whose rows no cache holds are listed as kNothing, so a busy
// Secrets Manager, Parameter Store or S3 on another node leaves this node's
// KMS and IAM caches warm. IAM's many tables and anything new fall through
// to "everything".
constexpr std::array kTableRules = {
    TableRule{"keys", Forget::kKeys},
    TableRule{"aliases", Forget::kKeys},
    // The key index (kms/key_index.h): written with a key, never cached.
    TableRule{"key_index_of", Forget::kNothing},
    TableRule{"key_due", Forget::kNothing},
    TableRule{"key_counts", Forget::kNothing},
    TableRule{"key_index_meta", Forget::kNothing},
    TableRule{"grants", Forget::kDecisions},
    TableRule{"quotas", Forget::kQuotas},
    // Parameter Store's high-throughput setting picks an account's quota group.
    TableRule{"ssm_settings", Forget::kQuotas},
    TableRule{"sm_secrets", Forget::kNothing},
    TableRule{"sm_values", Forget::kNothing},
    TableRule{"ssm_parameters", Forget::kNothing},
    TableRule{"s3_buckets", Forget::kNothing},
    TableRule{"s3_objects", Forget::kNothing},
    TableRule{"s3_versions", Forget::kNothing},
    TableRule{"s3_uploads", Forget::kNothing},
    TableRule{"s3_parts", Forget::kNothing},
    TableRule{"audit_nodes", Forget::kNothing},  // audit signing keys: verify reads them, no cache
    // Custom key store records are read from the store on every use (the live
    // backend follows the stored ConnectionState), so no cache holds them.
    TableRule{"custom_key_stores", Forget::kNothing},
};

void ForgetEverything(NodeCaches& caches) {
  caches.keys.ForgetAll();
  caches.identities.ForgetCached();
  caches.verifier.ForgetAll();
  caches.authorizer.Invalidate();
  caches.reload_quotas();
}

}  // namespace

void ForgetChanged(const store::ChangeNotice& notice, NodeCaches& caches) {
  if (notice.everything) return ForgetEverything(caches);
  for (const std::string& table : notice.tables) {
    const auto rule = std::find_if(kTableRules.begin(), kTableRules.end(),
                                   [&](const TableRule& r) { return r.table == table; });
    if (rule == kTableRules.end()) return ForgetEverything(caches);
    switch (rule->forget) {
      case Forget::kKeys:
        // A key policy is part of its record: decisions go with it.
        caches.keys.ForgetAll();
        caches.authorizer.Invalidate();
        break;
      case Forget::kDecisions:
        caches.authorizer.Invalidate();
        break;
      case Forget::kQuotas:
        caches.reload_quotas();
        break;
      case Forget::kNothing:
        break;
    }
  }
}

bool SweeperGate::ShouldSweep() {
  if (!lock_) return true;
  const bool leading = lock_->HeldNow();
  if (leading != leading_) {
    spdlog::info(leading ? "sweeper: this node now leads the cluster's sweeps"
                         : "sweeper: another node leads the cluster's sweeps");
  }
  leading_ = leading;
  return leading;
}

NodeHeartbeat::NodeHeartbeat(std::unique_ptr<store::NodeRegistry> registry,
                             std::chrono::milliseconds interval, std::function<void(int)> on_live)
    : registry_(std::move(registry)), interval_(interval), on_live_(std::move(on_live)) {
  Beat();
  thread_ = std::thread([this] { Run(); });
}

NodeHeartbeat::~NodeHeartbeat() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
  if (Status left = registry_->Leave(); !left.ok()) spdlog::warn("node registry: {}", left.message());
}

void NodeHeartbeat::Beat() {
  StatusOr<int> live = registry_->Heartbeat();
  if (!live.ok()) {
    spdlog::warn("node registry heartbeat: {}", live.status().message());
    return;
  }
  if (*live != last_live_) spdlog::info("quotas: {} live nodes share each request quota", *live);
  last_live_ = *live;
  on_live_(*live);
}

void NodeHeartbeat::Run() {
  std::unique_lock lock(mu_);
  while (!wake_.wait_for(lock, interval_, [this] { return stopping_; })) {
    lock.unlock();
    Beat();
    lock.lock();
  }
}

}  // namespace coffer::server
