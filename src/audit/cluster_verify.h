// `coffer audit verify --cluster-dir`: every node's chain in a shared audit
// directory, each verified as VerifyAuditDir does plus its node id, and the
// set of chains checked against the store's node register when one is given
// (a registered node without a chain is a failure; so is a chain of a node
// the register does not know, since its key cannot be checked).
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "audit/node_registry.h"
#include "audit/verify.h"

namespace coffer::audit {

struct ClusterVerifyOptions {
  std::filesystem::path shared_dir;
  // The store's register; without it each chain is checked against the
  // public-key.pem beside it and a node whose directory is gone goes unseen.
  std::optional<std::vector<RegisteredNode>> registered;
  std::optional<TimePoint> from;
  std::optional<TimePoint> to;
};

struct NodeVerifyResult {
  std::string node_id;
  std::string key_source;  // "store" | "directory"
  std::optional<VerifyReport> report;
  std::string error;  // set when the chain could not be read at all
  bool ok() const { return error.empty() && report && report->ok(); }
};

struct ClusterVerifyReport {
  std::vector<NodeVerifyResult> nodes;
  bool ok() const;
  nlohmann::json ToJson() const;
};

// kNotFound when the shared directory holds no node chain and the register
// (if given) names no node.
StatusOr<ClusterVerifyReport> VerifyCluster(const ClusterVerifyOptions& options);

}  // namespace coffer::audit
