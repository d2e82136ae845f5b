// The wire form of a change announcement on the coffer_changes channel,
// shared by the writer (postgres_store.cc) and the watcher
// (change_watcher.cc): "<node id> <generation> <table>,<table>,...", or "*"
// for the tables when they cannot be listed (too long for a NOTIFY payload).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace coffer::store::postgres {

inline constexpr const char* kChangesChannel = "coffer_changes";

std::string ChangedTablesPayload(const std::set<std::string, std::less<>>& tables);

struct Announcement {
  std::string node_id;
  std::int64_t generation = 0;
  bool all_tables = false;
  std::vector<std::string> tables;
};

// nullopt for a payload not of that form.
std::optional<Announcement> ParseAnnouncement(std::string_view payload);

}  // namespace coffer::store::postgres
