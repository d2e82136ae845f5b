// ISO 8601 UTC time at second precision, "2026-12-01T18:22:20Z": the form of
// CloudTrail's eventTime, IAM/STS XML dates and the aws:CurrentTime key.
#pragma once

#include <cstddef>
#include <ctime>
#include <string>
#include <string_view>

#include "common/clock.h"

namespace coffer {

// The text in a buffer of its own: no allocation (every audit record has one).
class IsoSecondsText {
 public:
  explicit IsoSecondsText(TimePoint t) {
    const std::time_t secs = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    size_ = std::strftime(text_, sizeof text_, "%Y-%m-%dT%H:%M:%SZ", &tm);
  }
  std::string_view view() const { return {text_, size_}; }

 private:
  char text_[32];
  std::size_t size_ = 0;
};

inline std::string IsoSeconds(TimePoint t) { return std::string(IsoSecondsText(t).view()); }

}  // namespace coffer
