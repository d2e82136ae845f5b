// CloudTrail LookupEvents over the audit log: management events of the
// caller's account, newest first, filtered by one lookup attribute and a time
// range, in pages of MaxResults (<= 50) with an opaque NextToken.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string_view>

#include "common/clock.h"
#include "common/status_or.h"

namespace coffer::audit {

// `request` passed model validation. Reads <dir>/events.jsonl as written so
// far (events still queued in batched mode are not visible yet).
StatusOr<nlohmann::json> LookupEvents(const std::filesystem::path& dir, std::string_view account_id,
                                      const nlohmann::json& request, TimePoint now);

}  // namespace coffer::audit
