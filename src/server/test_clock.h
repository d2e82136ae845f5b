// The process clock of `coffer serve`: the system clock, unless the server was
// started with `--test-clock FILE` (integration tests only). Then it is the
// system clock plus an offset, in whole seconds, that the test writes to FILE;
// the offset is read again on every call, so the next request after the file
// is (atomically) replaced sees the new time. A file holding "@<unix seconds>"
// instead stops the clock at that instant until the file changes again (for
// tests of rates, which must not depend on how fast the machine is). Nothing but the flag turns it on,
// and Serve refuses the flag unless the listener is a loopback address.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string_view>

#include "common/clock.h"
#include "common/status_or.h"

namespace coffer::server {

// What a --test-clock file says: an offset from the system clock, or a
// stopped clock at `seconds` since the epoch.
struct ClockSetting {
  std::int64_t seconds = 0;
  bool frozen = false;
};

class ProcessClock final : public Clock {
 public:
  TimePoint Now() const override;

  // Switches to test mode. Call before any other thread uses the clock. A
  // missing file is offset 0; a file that exists must hold an offset.
  Status UseOffsetFile(const std::filesystem::path& file);
  bool test_mode() const { return !offset_file_.empty(); }

 private:
  std::filesystem::path offset_file_;
  // The last setting read; kept when the file cannot be read or parsed.
  mutable std::atomic<ClockSetting> setting_{ClockSetting{}};
};

// "123", "-5", "900\n": the offset in seconds; anything else is nullopt.
std::optional<std::int64_t> ParseClockOffset(std::string_view text);
// An offset as above, or "@1700000000": the clock stopped at that unix time.
std::optional<ClockSetting> ParseClockSetting(std::string_view text);

// Whether `host` (a --listen address) is a loopback address: 127.0.0.0/8 or ::1.
bool IsLoopbackHost(std::string_view host);

}  // namespace coffer::server
