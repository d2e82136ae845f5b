// ISO 8601 UTC time at second precision, "2026-12-01T18:22:20Z": the form of
// CloudTrail's eventTime, IAM/STS XML dates and the aws:CurrentTime key.
#pragma once

#include <ctime>
#include <string>

#include "common/clock.h"

namespace coffer {

inline std::string IsoSeconds(TimePoint t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace coffer
