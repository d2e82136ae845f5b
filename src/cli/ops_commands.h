// `coffer serve` options for the audit trail, quotas, metrics and access log;
// `coffer audit verify|export|public-key`; `coffer admin set-quota|get-quotas`.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "server/app.h"

namespace coffer::cli {

void AddObservabilityOptions(CLI::App& serve, server::ServeOptions& options, int& quota_reload_seconds,
                             int& digest_minutes);

struct AuditCommand {
  CLI::App* cmd = nullptr;
  std::string data_dir = "data";
  std::string dir;          // an audit directory (exported copy); overrides data_dir
  std::string cluster_dir;  // verify: a shared audit directory, every node's chain
  std::string store;        // verify --cluster-dir: the store holding the node register
  std::string public_key;
  std::string from;
  std::string to;
  std::string out;
  int Run() const;
};
void AddAuditCommand(CLI::App& app, AuditCommand& audit);

struct QuotaCommand {
  CLI::App* set = nullptr;
  CLI::App* get = nullptr;
  std::string account_id;  // empty: default for every account
  std::string group;
  double rate = 0;
  bool Selected() const;
  int Run(const server::CoreOptions& core) const;
};
void AddQuotaCommands(CLI::App& admin, QuotaCommand& quota);

}  // namespace coffer::cli
