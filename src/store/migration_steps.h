// What the SQL stores' schema migrations share: the shape of a step, the
// check that steps are numbered 1, 2, 3, ..., and the decision whether a step
// still has to run on a database at a given version.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "common/status_or.h"

namespace coffer::store {

struct Migration {
  int version;
  const char* sql;
};

constexpr bool VersionsAreConsecutive(std::span<const Migration> steps) {
  for (std::size_t i = 0; i < steps.size(); ++i) {
    if (steps[i].version != static_cast<int>(i) + 1) {
      return false;
    }
  }
  return true;
}

// kInternal when a database at `version` is newer than `latest`, the newest
// this binary knows.
Status CheckNotNewer(int version, int latest);

// Whether `step` must be applied to a database at `current` (false: already
// applied); kInternal when the database is newer than `latest` or a step is
// missing before this one. `store` names the store in messages ("sqlite").
StatusOr<bool> StepNeeded(int current, const Migration& step, int latest, std::string_view store);

}  // namespace coffer::store
