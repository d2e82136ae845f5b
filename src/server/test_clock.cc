#include "server/test_clock.h"

#include <boost/asio/ip/address.hpp>
#include <charconv>

#include "common/files.h"

namespace coffer::server {

TimePoint ProcessClock::Now() const {
  const TimePoint now = std::chrono::system_clock::now();
  if (offset_file_.empty()) return now;
  if (auto text = ReadWholeFile(offset_file_); text.ok()) {
    if (auto setting = ParseClockSetting(*text)) setting_.store(*setting, std::memory_order_relaxed);
  }
  const ClockSetting setting = setting_.load(std::memory_order_relaxed);
  if (setting.frozen) return TimePoint(std::chrono::seconds(setting.seconds));
  return now + std::chrono::seconds(setting.seconds);
}

Status ProcessClock::UseOffsetFile(const std::filesystem::path& file) {
  if (file.empty()) return ValidationError("--test-clock needs a file path");
  std::error_code ec;
  if (std::filesystem::exists(file, ec)) {
    ASSIGN_OR_RETURN(std::string text, ReadWholeFile(file));
    if (!ParseClockSetting(text)) {
      return ValidationError("--test-clock file " + file.string() + " does not hold an offset in seconds");
    }
  }
  offset_file_ = file;
  return Status::Ok();
}

std::optional<std::int64_t> ParseClockOffset(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.remove_suffix(1);
  }
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  // More than a century either way is a typo, not a test.
  constexpr std::int64_t kMaxOffset = std::int64_t{100} * 366 * 24 * 3600;
  if (value > kMaxOffset || value < -kMaxOffset) return std::nullopt;
  return value;
}

std::optional<ClockSetting> ParseClockSetting(std::string_view text) {
  const bool frozen = !text.empty() && text.front() == '@';
  if (frozen) text.remove_prefix(1);
  std::optional<std::int64_t> seconds = ParseClockOffset(text);
  if (!seconds || (frozen && *seconds < 0)) return std::nullopt;
  return ClockSetting{*seconds, frozen};
}

bool IsLoopbackHost(std::string_view host) {
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(std::string(host), ec);
  return !ec && address.is_loopback();
}

}  // namespace coffer::server
