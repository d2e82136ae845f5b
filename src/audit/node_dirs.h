// Cluster mode: every node writes its own chain into a subdirectory of one
// shared audit directory, named by its node id (`--audit-dir <shared>` makes
// a node write <shared>/<node-id>/). LookupEvents and `coffer audit verify`
// read every subdirectory.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace coffer::audit {

// 1 to 64 of [A-Za-z0-9._-], not starting with '.': safe as a directory
// name, in JSON without escaping and in a NextToken.
bool IsValidNodeId(std::string_view node_id);

struct NodeDir {
  std::string node_id;  // empty: a single node's log (no cluster)
  std::filesystem::path dir;
};

// The node subdirectories of a shared audit directory (names that are valid
// node ids), ordered by node id. Empty when `root` cannot be read.
std::vector<NodeDir> ListNodeDirs(const std::filesystem::path& root);

}  // namespace coffer::audit
