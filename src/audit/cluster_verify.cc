#include "audit/cluster_verify.h"

#include <algorithm>
#include <map>

#include "audit/chain.h"
#include "audit/node_dirs.h"

namespace coffer::audit {
namespace {

using nlohmann::json;

struct NodeSources {
  std::optional<std::filesystem::path> dir;
  std::optional<std::string> registered_pem;
};

NodeVerifyResult VerifyNode(const ClusterVerifyOptions& options, const std::string& node_id,
                            const NodeSources& sources) {
  NodeVerifyResult result;
  result.node_id = node_id;
  result.key_source = sources.registered_pem ? "store" : "directory";
  if (options.registered && !sources.registered_pem) {
    result.error = "a chain of a node the store's register does not know: its signing key cannot be checked";
    return result;
  }
  const std::filesystem::path dir = sources.dir.value_or(options.shared_dir / node_id);
  if (!std::filesystem::exists(dir / kEventsFile)) {
    result.error = "no " + std::string(kEventsFile) + " for this node in " + options.shared_dir.string() +
                   " (chain missing or deleted)";
    return result;
  }
  VerifyOptions verify;
  verify.dir = dir;
  verify.public_key_pem = sources.registered_pem;
  verify.node_id = node_id;
  verify.from = options.from;
  verify.to = options.to;
  auto report = VerifyAuditDir(verify);
  if (!report.ok()) {
    result.error = report.status().message();
  } else {
    result.report = std::move(*report);
  }
  return result;
}

}  // namespace

bool ClusterVerifyReport::ok() const {
  return std::all_of(nodes.begin(), nodes.end(), [](const NodeVerifyResult& n) { return n.ok(); });
}

json ClusterVerifyReport::ToJson() const {
  json list = json::array();
  for (const NodeVerifyResult& n : nodes) {
    json entry = n.report ? n.report->ToJson() : json{{"valid", false}};
    entry["nodeId"] = n.node_id;
    entry["publicKeyFrom"] = n.key_source;
    if (!n.error.empty()) entry["error"] = n.error;
    entry["valid"] = n.ok();
    list.push_back(std::move(entry));
  }
  return {{"valid", ok()}, {"nodes", list}};
}

StatusOr<ClusterVerifyReport> VerifyCluster(const ClusterVerifyOptions& options) {
  std::map<std::string, NodeSources> nodes;
  for (NodeDir& node : ListNodeDirs(options.shared_dir)) nodes[node.node_id].dir = std::move(node.dir);
  if (options.registered) {
    for (const RegisteredNode& node : *options.registered)
      nodes[node.node_id].registered_pem = node.public_key_pem;
  }
  if (nodes.empty()) {
    return NotFoundError("no node chains in " + options.shared_dir.string() + " and no registered nodes");
  }
  ClusterVerifyReport report;
  for (const auto& [node_id, sources] : nodes) report.nodes.push_back(VerifyNode(options, node_id, sources));
  return report;
}

}  // namespace coffer::audit
