#include "cli/ops_commands.h"

#include <iostream>
#include <nlohmann/json.hpp>

#include "audit/chain.h"
#include "audit/cluster_verify.h"
#include "audit/export.h"
#include "audit/signing_key_store.h"
#include "audit/verify.h"
#include "quota/quota_groups.h"
#include "quota/quota_store.h"

namespace coffer::cli {
namespace {

using nlohmann::json;

StatusOr<std::optional<TimePoint>> OptionalTime(const std::string& text) {
  if (text.empty()) return std::optional<TimePoint>();
  ASSIGN_OR_RETURN(TimePoint t, audit::ParseIsoTime(text));
  return std::optional<TimePoint>(t);
}

struct TimeRange {
  std::optional<TimePoint> from;
  std::optional<TimePoint> to;
};

// --from / --to; kValidation naming a malformed one.
StatusOr<TimeRange> ReadRange(const AuditCommand& a) {
  ASSIGN_OR_RETURN(std::optional<TimePoint> from, OptionalTime(a.from));
  ASSIGN_OR_RETURN(std::optional<TimePoint> to, OptionalTime(a.to));
  return TimeRange{from, to};
}

int Fail(const Status& status) {
  std::cerr << "error: " << status.message() << "\n";
  return 2;
}

int RunVerify(const AuditCommand& a, const std::filesystem::path& dir) {
  audit::VerifyOptions options;
  options.dir = dir;
  if (!a.public_key.empty()) options.public_key = a.public_key;
  auto range = ReadRange(a);
  if (!range.ok()) return Fail(range.status());
  options.from = range->from;
  options.to = range->to;
  auto report = audit::VerifyAuditDir(options);
  if (!report.ok()) return Fail(report.status());
  std::cout << report->ToJson().dump(2) << "\n";
  return report->ok() ? 0 : 1;
}

int RunClusterVerify(const AuditCommand& a) {
  audit::ClusterVerifyOptions options;
  options.shared_dir = a.cluster_dir;
  auto range = ReadRange(a);
  if (!range.ok()) return Fail(range.status());
  options.from = range->from;
  options.to = range->to;
  if (!a.store.empty()) {
    // Only the register is read (opening migrates the schema, as a node's start does).
    auto store = server::OpenStoreFromSpec(a.store, a.data_dir, "audit-verify");
    if (!store.ok()) return Fail(store.status());
    auto registered = audit::ListRegisteredNodes(**store);
    if (!registered.ok()) return Fail(registered.status());
    options.registered = std::move(*registered);
  }
  auto report = audit::VerifyCluster(options);
  if (!report.ok()) return Fail(report.status());
  std::cout << report->ToJson().dump(2) << "\n";
  return report->ok() ? 0 : 1;
}

}  // namespace

void AddObservabilityOptions(CLI::App& serve, server::ServeOptions& options, int& quota_reload_seconds,
                             int& digest_minutes) {
  auto& o = options.observability;
  serve.add_option("--audit", o.audit, "Record every request in the audit trail (true|false)")
      ->capture_default_str();
  serve
      .add_option("--audit-durability", o.audit_durability,
                  "strict: answer after the event is on disk; batched: flush every <= 200 ms")
      ->check(CLI::IsMember({"strict", "batched"}))
      ->capture_default_str();
  serve
      .add_option("--audit-digest-minutes", digest_minutes,
                  "Minutes between signed digests (0: at shutdown only)")
      ->capture_default_str();
  serve
      .add_option("--audit-retention-days", o.audit_retention_days,
                  "Drop digest periods older than this many days (0: keep everything)")
      ->capture_default_str();
  serve.add_option("--audit-dir", o.audit_dir,
                   "Cluster: shared directory of every node's audit chain; this node writes <dir>/<node-id>/ "
                   "and LookupEvents reads them all (default: <data-dir>/audit, this node only)");
  serve.add_option("--node-id", options.core.node_id,
                   "Cluster: this node's id, naming its audit chain (default: kept in <data-dir>/node-id, "
                   "random on first start)");
  serve.add_option("--quotas", o.quotas, "Enforce request quotas (true|false)")->capture_default_str();
  serve.add_option("--quota-config", o.quota_config,
                   "JSON file whose \"quotas\" section sets request quotas");
  serve
      .add_option("--quota-reload", quota_reload_seconds, "Seconds between reads of admin set-quota changes")
      ->capture_default_str();
  serve.add_option("--access-log", o.access_log, "JSON access log: a file, or - for stdout");
  serve.add_option("--metrics", o.metrics_access, "GET /metrics for: loopback | any | off")
      ->check(CLI::IsMember({"loopback", "any", "off"}))
      ->capture_default_str();
}

void AddAuditCommand(CLI::App& app, AuditCommand& a) {
  a.cmd = app.add_subcommand("audit", "Verify, export and inspect the audit trail (offline)");
  a.cmd->require_subcommand(1);
  auto* verify = a.cmd->add_subcommand("verify", "Check chain continuity and digest signatures");
  auto* exp = a.cmd->add_subcommand("export", "Write CloudTrail-style gzip JSON-lines files and digests");
  auto* key = a.cmd->add_subcommand("public-key", "Print the digest signing public key (PEM)");
  for (auto* sub : {verify, exp, key}) {
    sub->add_option("--data-dir", a.data_dir, "Data directory (its audit/ subdirectory is read)")
        ->capture_default_str();
    sub->add_option("--dir", a.dir, "An audit directory (an exported copy) instead of <data-dir>/audit");
  }
  for (auto* sub : {verify, exp}) {
    sub->add_option("--from", a.from, "Only records at or after this time (2026-01-31T00:00:00Z)");
    sub->add_option("--to", a.to, "Only records at or before this time");
  }
  verify->add_option("--public-key", a.public_key,
                     "PEM public key (default: public-key.pem in the directory)");
  verify->add_option("--cluster-dir", a.cluster_dir,
                     "A shared audit directory (serve --audit-dir): verify every node's chain");
  verify->add_option("--store", a.store,
                     "With --cluster-dir: the cluster's store, whose node register names every node and its "
                     "public key");
  exp->add_option("--out", a.out, "Output directory")->required();
}

int AuditCommand::Run() const {
  const std::filesystem::path audit_dir =
      dir.empty() ? std::filesystem::path(data_dir) / "audit" : std::filesystem::path(dir);
  const std::string action = cmd->get_subcommands().front()->get_name();
  if (action == "verify" && !cluster_dir.empty()) return RunClusterVerify(*this);
  if (action == "verify") return RunVerify(*this, audit_dir);
  if (action == "public-key") {
    auto pem = ReadWholeFile(audit_dir / audit::kPublicKeyFile);
    if (!pem.ok()) return Fail(pem.status());
    std::cout << *pem;
    return 0;
  }
  auto range = ReadRange(*this);
  if (!range.ok()) return Fail(range.status());
  auto written = audit::ExportAudit(audit_dir, out, range->from, range->to);
  if (!written.ok()) return Fail(written.status());
  std::cout << written->dump(2) << "\n";
  return 0;
}

void AddQuotaCommands(CLI::App& admin, QuotaCommand& q) {
  q.set =
      admin.add_subcommand("set-quota", "Set a request quota (requests per second) for one account or all");
  q.set->add_option("--account-id", q.account_id, "Account (default: every account)");
  q.set->add_option("--group", q.group, "symmetric | rsa | ecc | <operation>, e.g. CreateKey")->required();
  q.set->add_option("--rate", q.rate, "Requests per second (> 0)")->required();
  q.get = admin.add_subcommand("get-quotas", "Show AWS default quotas and the stored overrides");
}

bool QuotaCommand::Selected() const { return set->parsed() || get->parsed(); }

int QuotaCommand::Run(const server::CoreOptions& core_options) const {
  auto core = server::OpenCore(core_options);
  if (!core.ok()) return Fail(core.status());
  store::Store& store = *(*core)->store;
  if (set->parsed()) {
    if (Status st = quota::SetStoredQuota(store, account_id, group, rate); !st.ok()) return Fail(st);
  }
  auto stored = quota::LoadStoredQuotas(store);
  if (!stored.ok()) return Fail(stored.status());
  json defaults = json::object();
  for (const auto& [name, value] : quota::DefaultRates()) defaults[name] = value;
  std::cout << json{{"AwsDefaults", defaults}, {"Overrides", stored->ToJson()}}.dump(2) << "\n";
  return 0;
}

}  // namespace coffer::cli
