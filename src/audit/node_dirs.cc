#include "audit/node_dirs.h"

#include <algorithm>

namespace coffer::audit {

bool IsValidNodeId(std::string_view node_id) {
  if (node_id.empty() || node_id.size() > 64 || node_id.front() == '.') return false;
  return std::all_of(node_id.begin(), node_id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

std::vector<NodeDir> ListNodeDirs(const std::filesystem::path& root) {
  std::vector<NodeDir> nodes;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(root, ec)) {
    const std::string name = entry.path().filename().string();
    if (entry.is_directory(ec) && IsValidNodeId(name)) nodes.push_back(NodeDir{name, entry.path()});
  }
  std::sort(nodes.begin(), nodes.end(),
            [](const NodeDir& a, const NodeDir& b) { return a.node_id < b.node_id; });
  return nodes;
}

}  // namespace coffer::audit
