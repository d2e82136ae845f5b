// The change watcher: one dedicated connection that LISTENs on the changes
// channel, on its own thread, woken by the server's notifications, by the
// generation check interval, or by the pipe its destructor writes to.
#include "store/postgres/change_watcher.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <utility>

#include "store/postgres/pg_connection.h"
#include "store/store.h"

namespace coffer::store {
namespace postgres {

// A NOTIFY payload must stay under 8000 bytes.
constexpr std::size_t kMaxTablesPayload = 4000;

std::string ChangedTablesPayload(const std::set<std::string, std::less<>>& tables) {
  std::string out;
  for (const std::string& table : tables) {
    if (table.empty() || table.find_first_of(", ") != std::string::npos) return "*";
    if (!out.empty()) out += ',';
    out += table;
  }
  return out.size() > kMaxTablesPayload ? "*" : out;
}

std::optional<Announcement> ParseAnnouncement(std::string_view payload) {
  const std::size_t first = payload.find(' ');
  const std::size_t second = first == std::string_view::npos ? first : payload.find(' ', first + 1);
  if (second == std::string_view::npos || first == 0) return std::nullopt;
  Announcement out;
  out.node_id = std::string(payload.substr(0, first));
  const std::string_view number = payload.substr(first + 1, second - first - 1);
  const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), out.generation);
  if (ec != std::errc() || end != number.data() + number.size()) return std::nullopt;
  std::string_view rest = payload.substr(second + 1);
  if (rest == "*") {
    out.all_tables = true;
    return out;
  }
  while (!rest.empty()) {
    const std::size_t comma = rest.find(',');
    out.tables.emplace_back(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
  }
  return out;
}

namespace {

using SteadyClock = std::chrono::steady_clock;

class PostgresChangeWatcher final : public ChangeWatcher {
 public:
  PostgresChangeWatcher(const ChangeWatchOptions& options, std::function<void(const ChangeNotice&)> on_change)
      : options_(options),
        on_change_(std::move(on_change)),
        conn_(options.conninfo, options.connect_timeout_seconds, SessionSettings{}, "coffer-changes") {
    if (::pipe2(wake_, O_CLOEXEC | O_NONBLOCK) != 0) wake_[0] = wake_[1] = -1;
    thread_ = std::thread([this] { Run(); });
  }
  ~PostgresChangeWatcher() override {
    stopping_.store(true);
    if (wake_[1] >= 0) (void)!::write(wake_[1], "x", 1);
    thread_.join();
    for (int fd : wake_) {
      if (fd >= 0) ::close(fd);
    }
  }
  PostgresChangeWatcher(const PostgresChangeWatcher&) = delete;
  PostgresChangeWatcher& operator=(const PostgresChangeWatcher&) = delete;

  std::int64_t confirmed_generation() const override { return confirmed_.load(); }

 private:
  void Run() {
    auto next_check = SteadyClock::now();
    while (!stopping_.load()) {
      if (!listening_) {
        listening_ = Listen().ok();
        // Whatever happened while not listening is unknown; while the
        // generation cannot be confirmed, caches keep being emptied.
        Everything();
        next_check = SteadyClock::now() + options_.check_interval;
        if (!listening_) {
          Wait(-1, options_.check_interval);
          continue;
        }
      }
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(next_check - SteadyClock::now());
      if (Wait(conn_.Socket(), std::max(left, std::chrono::milliseconds(0)))) {
        if (!conn_.ConsumeInput().ok()) {
          listening_ = false;
          continue;
        }
        Drain();
      }
      if (SteadyClock::now() >= next_check) {
        if (!CheckGeneration().ok()) listening_ = false;
        next_check = SteadyClock::now() + options_.check_interval;
      }
    }
  }

  Status Listen() {
    RETURN_IF_ERROR(conn_.EnsureReady());
    RETURN_IF_ERROR(conn_.Exec("LISTEN coffer_changes", "listen"));
    ASSIGN_OR_RETURN(std::int64_t generation, ReadGeneration());
    while (conn_.NextNotification()) {
    }
    confirmed_.store(generation);
    return Status::Ok();
  }

  StatusOr<std::int64_t> ReadGeneration() {
    ASSIGN_OR_RETURN(Result res, conn_.Query("SELECT generation::text FROM cluster_generation", {},
                                             "cluster generation query"));
    std::int64_t generation = 0;
    const char* text = PQntuples(res.get()) == 1 ? PQgetvalue(res.get(), 0, 0) : "";
    const auto [end, ec] = std::from_chars(text, text + std::char_traits<char>::length(text), generation);
    if (ec != std::errc()) return InternalError("postgres cluster generation is not a number");
    return generation;
  }

  // Announcements that arrived with the query's answer are heard first, so
  // only a commit nobody announced to this node reads as a miss.
  Status CheckGeneration() {
    ASSIGN_OR_RETURN(std::int64_t generation, ReadGeneration());
    Drain();
    if (generation != confirmed_.load()) {
      confirmed_.store(generation);
      Everything();
    }
    return Status::Ok();
  }

  void Drain() {
    while (std::optional<std::string> payload = conn_.NextNotification()) {
      Hear(*payload);
    }
  }

  void Hear(std::string_view payload) {
    const std::optional<Announcement> heard = ParseAnnouncement(payload);
    if (!heard) return Everything();
    const std::int64_t last = confirmed_.load();
    if (heard->generation <= last) return;  // a check already covered it
    confirmed_.store(heard->generation);
    if (heard->generation != last + 1 || heard->all_tables) return Everything();
    if (heard->node_id == options_.node_id) return;
    on_change_(ChangeNotice{.everything = false, .tables = heard->tables});
  }

  void Everything() { on_change_(ChangeNotice{.everything = true, .tables = {}}); }

  // True when `fd` became readable; false on timeout or a stop request.
  bool Wait(int fd, std::chrono::milliseconds timeout) {
    pollfd fds[2] = {{wake_[0], POLLIN, 0}, {fd, POLLIN, 0}};
    const int ready = ::poll(fds, fd >= 0 ? 2 : 1, static_cast<int>(timeout.count()));
    return ready > 0 && fd >= 0 && (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) != 0;
  }

  ChangeWatchOptions options_;
  std::function<void(const ChangeNotice&)> on_change_;
  Connection conn_;
  bool listening_ = false;
  std::atomic<bool> stopping_{false};
  std::atomic<std::int64_t> confirmed_{-1};
  int wake_[2] = {-1, -1};
  std::thread thread_;
};

}  // namespace
}  // namespace postgres

std::unique_ptr<ChangeWatcher> WatchPostgresChanges(const ChangeWatchOptions& options,
                                                    std::function<void(const ChangeNotice&)> on_change) {
  return std::make_unique<postgres::PostgresChangeWatcher>(options, std::move(on_change));
}

}  // namespace coffer::store
