// CloudTrail LookupEvents over the audit log: management events of the
// caller's account, newest first, filtered by one lookup attribute and a time
// range, in pages of MaxResults (<= 50) with an opaque NextToken.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

#include "audit/node_dirs.h"
#include "common/clock.h"
#include "common/status_or.h"

namespace coffer::audit {

// `request` passed model validation. Reads <dir>/events.jsonl as written so
// far (events still queued in batched mode are not visible yet).
StatusOr<nlohmann::json> LookupEvents(const std::filesystem::path& dir, std::string_view account_id,
                                      const nlohmann::json& request, TimePoint now);

// The same over several nodes' logs (cluster mode), merged: newest first by
// event time, ties by node id then sequence number, all descending. A
// NextToken names the last event's place in that order, so a page asked of
// any node continues exactly after the previous one, even if events were
// written meanwhile (they come before it, as in CloudTrail).
StatusOr<nlohmann::json> LookupEvents(const std::vector<NodeDir>& nodes, std::string_view account_id,
                                      const nlohmann::json& request, TimePoint now);

}  // namespace coffer::audit
