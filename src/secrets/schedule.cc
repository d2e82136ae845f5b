#include "secrets/schedule.h"

#include <array>
#include <charconv>
#include <ctime>
#include <sstream>
#include <vector>

#include "secrets/errors.h"

namespace coffer::secrets {
namespace {

constexpr std::int64_t kMinuteMs = 60LL * 1000;
constexpr std::int64_t kHourMs = 60 * kMinuteMs;
constexpr std::int64_t kDayMs = 24 * kHourMs;

std::optional<int> Number(std::string_view s, std::string_view names, int name_base) {
  int v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec == std::errc() && p == s.data() + s.size()) return v;
  if (!names.empty() && s.size() == 3) {
    std::string up(s);
    for (char& c : up) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    for (std::size_t i = 0; i + 3 <= names.size(); i += 3) {
      if (names.substr(i, 3) == up) return static_cast<int>(i / 3) + name_base;
    }
  }
  return std::nullopt;
}

// One cron field into `out` (bits lo..hi). Returns false on a syntax error.
template <std::size_t N>
bool Field(std::string_view text, int lo, int hi, std::string_view names, int name_base, std::bitset<N>& out,
           bool& any) {
  any = text == "*" || text == "?";
  if (any) {
    for (int i = lo; i <= hi; ++i) out.set(static_cast<std::size_t>(i));
    return true;
  }
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t comma = text.find(',', start);
    std::string_view part =
        text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    int step = 1;
    if (auto slash = part.find('/'); slash != std::string_view::npos) {
      auto s = Number(part.substr(slash + 1), "", 0);
      if (!s || *s <= 0) return false;
      step = *s;
      part = part.substr(0, slash);
    }
    int a = lo;
    int b = hi;
    if (part != "*") {
      if (auto dash = part.find('-'); dash != std::string_view::npos) {
        auto x = Number(part.substr(0, dash), names, name_base);
        auto y = Number(part.substr(dash + 1), names, name_base);
        if (!x || !y) return false;
        a = *x;
        b = *y;
      } else {
        auto x = Number(part, names, name_base);
        if (!x) return false;
        a = *x;
        b = step > 1 ? hi : *x;
      }
    }
    if (a < lo || b > hi || a > b) return false;
    for (int i = a; i <= b; i += step) out.set(static_cast<std::size_t>(i));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return true;
}

}  // namespace

Schedule Schedule::EveryDays(int days) {
  Schedule s;
  s.every_ms_ = days * kDayMs;
  return s;
}

StatusOr<Schedule> Schedule::Parse(std::string_view e) {
  Schedule s;
  auto bad = [&](std::string why) {
    return InvalidParameter("Invalid ScheduleExpression " + std::string(e) + ": " + why);
  };
  if (e.starts_with("rate(") && e.ends_with(")")) {
    std::istringstream in(std::string(e.substr(5, e.size() - 6)));
    long n = 0;
    std::string unit;
    if (!(in >> n >> unit) || n <= 0) return bad("expected rate(<number> hours|days)");
    if (unit == "hour" || unit == "hours") {
      if (n < 4 || n > 23) return bad("a rate in hours must be between 4 and 23");
      s.every_ms_ = n * kHourMs;
    } else if (unit == "day" || unit == "days") {
      if (n > 1000) return bad("a rate in days must be between 1 and 1000");
      s.every_ms_ = n * kDayMs;
    } else {
      return bad("the unit must be hours or days");
    }
    return s;
  }
  if (!(e.starts_with("cron(") && e.ends_with(")"))) return bad("expected rate(...) or cron(...)");
  std::istringstream in(std::string(e.substr(5, e.size() - 6)));
  std::vector<std::string> f;
  for (std::string part; in >> part;) f.push_back(part);
  if (f.size() != 6) return bad("cron takes six fields: minutes hours day-of-month month day-of-week year");
  bool any = false;
  s.cron_ = true;
  if (!Field(f[0], 0, 59, "", 0, s.minutes_, any)) return bad("minutes");
  if (!Field(f[1], 0, 23, "", 0, s.hours_, any)) return bad("hours");
  if (!Field(f[2], 1, 31, "", 0, s.days_, s.any_day_)) return bad("day-of-month");
  if (!Field(f[3], 1, 12, "JANFEBMARAPRMAYJUNJULAUGSEPOCTNOVDEC", 1, s.months_, any)) return bad("month");
  if (!Field(f[4], 1, 7, "SUNMONTUEWEDTHUFRISAT", 1, s.weekdays_, s.any_weekday_)) return bad("day-of-week");
  if (!s.any_day_ && !s.any_weekday_)
    return bad("day-of-month and day-of-week can't both be given; use ? in one");
  std::bitset<2200> years;
  if (!Field(f[5], 1970, 2169, "", 0, years, any)) {
    // Field() addresses bits by value; years are offset below.
    return bad("year");
  }
  return s;
}

std::int64_t Schedule::Next(std::int64_t from_ms) const {
  if (!cron_) return every_ms_ == 0 ? 0 : from_ms + every_ms_;
  const std::int64_t start = (from_ms / kMinuteMs + 1) * kMinuteMs;
  const std::int64_t first_day = start - start % kDayMs;
  for (std::int64_t day = first_day; day < first_day + 3700 * kDayMs; day += kDayMs) {
    const std::time_t t = static_cast<std::time_t>(day / 1000);
    std::tm tm{};
    gmtime_r(&t, &tm);
    if (!months_.test(static_cast<std::size_t>(tm.tm_mon + 1))) continue;
    const bool dom = any_day_ || days_.test(static_cast<std::size_t>(tm.tm_mday));
    const bool dow = any_weekday_ || weekdays_.test(static_cast<std::size_t>(tm.tm_wday + 1));
    if (!dom || !dow) continue;
    for (int h = 0; h < 24; ++h) {
      if (!hours_.test(static_cast<std::size_t>(h))) continue;
      for (int m = 0; m < 60; ++m) {
        if (!minutes_.test(static_cast<std::size_t>(m))) continue;
        const std::int64_t at = day + h * kHourMs + m * kMinuteMs;
        if (at >= start) return at;
      }
    }
  }
  return 0;
}

std::int64_t Schedule::MinIntervalMs() const {
  if (!cron_) return every_ms_;
  // Shortest gap between two consecutive runs over the next two years.
  std::int64_t t = Next(0 + 1577836800000LL);  // from 2020-01-01
  std::int64_t best = kDayMs * 366;
  for (int i = 0; i < 64 && t != 0; ++i) {
    const std::int64_t n = Next(t);
    if (n == 0) break;
    best = std::min(best, n - t);
    t = n;
  }
  return best;
}

}  // namespace coffer::secrets
