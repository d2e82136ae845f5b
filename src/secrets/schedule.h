// Rotation schedules: AutomaticallyAfterDays, rate(N hours|days) and
// cron(minutes hours day-of-month month day-of-week year) as EventBridge
// writes them (numbers, ranges a-b, lists, steps /n, *, ?, month and day
// names; day-of-week 1-7 = SUN-SAT). Times are UTC milliseconds.
#pragma once

#include <array>
#include <bitset>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/status_or.h"

namespace coffer::secrets {

class Schedule {
 public:
  static Schedule EveryDays(int days);
  // InvalidParameterException naming what is wrong.
  static StatusOr<Schedule> Parse(std::string_view expression);

  // The first time strictly after `from_ms` (0 when there is none within ten years).
  std::int64_t Next(std::int64_t from_ms) const;
  // The shortest interval between runs, for the Duration check.
  std::int64_t MinIntervalMs() const;

 private:
  std::int64_t every_ms_ = 0;  // rate() and AutomaticallyAfterDays
  bool cron_ = false;
  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_;     // 1..31
  std::bitset<13> months_;   // 1..12
  std::bitset<8> weekdays_;  // 1..7, SUN = 1
  bool any_day_ = true;      // day-of-month is * or ?
  bool any_weekday_ = true;  // day-of-week is * or ?
};

}  // namespace coffer::secrets
