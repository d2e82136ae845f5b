// Helpers the audit module's tests share: whole-file line I/O for tampering
// with a trail, and the event ids of a LookupEvents answer.
#pragma once

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace coffer::audit::test_util {

inline std::vector<std::string> ReadLines(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

inline void WriteLines(const std::filesystem::path& path, const std::vector<std::string>& lines) {
  std::ofstream out(path, std::ios::trunc);
  for (const auto& line : lines) out << line << "\n";
}

// The EventId of each event of a LookupEvents response, in order.
inline std::vector<std::string> EventIds(const nlohmann::json& response) {
  std::vector<std::string> ids;
  for (const auto& e : response["Events"]) ids.push_back(e["EventId"]);
  return ids;
}

}  // namespace coffer::audit::test_util
