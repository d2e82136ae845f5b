#include "audit/audit_log.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <future>
#include <limits>
#include <memory>
#include <optional>

#include "audit/retention.h"
#include "audit/signing_key_store.h"
#include "common/encoding.h"

namespace coffer::audit {
namespace {

using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

// Queued events beyond this wake a batched writer early, bounding memory.
constexpr std::size_t kBatchedWakeDepth = 4096;

Status WriteOnly(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return InternalError("audit log write failed");
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return Status::Ok();
}

Status Sync(int fd) {
  return ::fdatasync(fd) == 0 ? Status::Ok() : InternalError("audit log fdatasync failed");
}

Status WriteAll(int fd, std::string_view data) {
  RETURN_IF_ERROR(WriteOnly(fd, data));
  return Sync(fd);
}

StatusOr<int> OpenAppend(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return InternalError("cannot open " + path.string());
  return fd;
}

// The last complete line of a trail file, read from its end (a trail of
// gigabytes costs a few kilobytes here, not its size in memory). A torn last
// line (no newline: power lost mid-write) is cut off so the next append starts
// on a clean line. No file, or no complete line: nullopt.
StatusOr<std::optional<std::string>> LastLineRepairingTail(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::optional<std::string>();
  const std::unique_ptr<int, void (*)(int*)> closer(new int(fd), [](int* f) {
    ::close(*f);
    delete f;
  });
  const off_t end = ::lseek(fd, 0, SEEK_END);
  if (end < 0) return InternalError("cannot read " + path.string());
  const auto size = static_cast<std::uint64_t>(end);
  const auto cut_at = [&](std::uint64_t length) {
    spdlog::warn("audit: cutting a torn last line off {}", path.string());
    std::filesystem::resize_file(path, length);
  };
  std::string window;
  for (std::uint64_t want = 64 * 1024;; want *= 2) {
    const std::uint64_t take = std::min(want, size);
    const std::uint64_t from = size - take;
    window.resize(static_cast<std::size_t>(take));
    for (std::size_t got = 0; got < window.size();) {
      const ssize_t n = ::pread(fd, window.data() + got, window.size() - got, static_cast<off_t>(from + got));
      if (n <= 0) return InternalError("cannot read " + path.string());
      got += static_cast<std::size_t>(n);
    }
    const std::size_t last_nl = window.rfind('\n');
    if (last_nl == std::string::npos) {
      if (take < size) continue;  // the newline is further back
      if (size > 0) cut_at(0);    // one torn line and nothing before it
      return std::optional<std::string>();
    }
    const std::size_t prev_nl = last_nl == 0 ? std::string::npos : window.rfind('\n', last_nl - 1);
    if (prev_nl == std::string::npos && take < size) continue;  // the last line starts further back
    if (from + last_nl + 1 < size) cut_at(from + last_nl + 1);
    const std::size_t begin = prev_nl == std::string::npos ? 0 : prev_nl + 1;
    return std::optional<std::string>(window.substr(begin, last_nl - begin));
  }
}

}  // namespace

AuditLog::AuditLog(const AuditLogOptions& options, std::unique_ptr<crypto::P384SigningKey> key,
                   const Clock& clock)
    : options_(options),
      key_(std::move(key)),
      clock_(clock),
      key_fingerprint_(KeyFingerprint(key_->PublicKeyDer())) {
  digest_period_start_ = clock_.Now();
}

AuditLog::~AuditLog() {
  Close();
  if (events_fd_ >= 0) ::close(events_fd_);
  if (digests_fd_ >= 0) ::close(digests_fd_);
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

// One writer per chain: two processes appending to one events.jsonl (two
// nodes given the same --node-id on a shared --audit-dir, or two servers on
// one data dir) would fork the chain. The lock goes with the process.
Status AuditLog::LockDir() {
  const std::filesystem::path path = options_.dir / kLockFile;
  lock_fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd_ < 0) return InternalError("cannot open " + path.string());
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    return Status(ErrorCode::kConflict,
                  "audit directory " + options_.dir.string() +
                      " is in use by another process (two nodes with the same --node-id?)");
  }
  return Status::Ok();
}

StatusOr<std::unique_ptr<AuditLog>> AuditLog::Open(const AuditLogOptions& options,
                                                   std::unique_ptr<crypto::P384SigningKey> key,
                                                   const Clock& clock) {
  std::error_code ec;
  std::filesystem::create_directories(options.dir, ec);
  if (ec) return InternalError("cannot create audit directory " + options.dir.string());
  std::unique_ptr<AuditLog> log(new AuditLog(options, std::move(key), clock));
  RETURN_IF_ERROR(log->LockDir());
  RETURN_IF_ERROR(log->Recover());
  ASSIGN_OR_RETURN(log->events_fd_, OpenAppend(options.dir / kEventsFile));
  ASSIGN_OR_RETURN(log->digests_fd_, OpenAppend(options.dir / kDigestsFile));
  log->writer_ = std::thread([raw = log.get()] { raw->Run(); });
  return log;
}

// Continues the chain where the files end. The log is not verified here
// (`coffer audit verify` does that); a record that does not parse stops the
// server from extending a chain it cannot read.
Status AuditLog::Recover() {
  ASSIGN_OR_RETURN(const std::optional<std::string> last_event,
                   LastLineRepairingTail(options_.dir / kEventsFile));
  if (last_event) {
    auto last = ParseRecord(*last_event);
    if (!last.ok()) return InternalError("audit log: last record does not parse: " + last.status().message());
    written_seq_ = last->seq;
    head_hash_ = last->hash;
  }
  ASSIGN_OR_RETURN(const std::optional<std::string> last_digest,
                   LastLineRepairingTail(options_.dir / kDigestsFile));
  if (last_digest) {
    auto last = ParseDigest(*last_digest);
    if (!last.ok()) return InternalError("audit log: last digest does not parse: " + last.status().message());
    digest_number_ = last->number;
    digest_last_seq_ = last->last_seq;
    digest_head_hash_ = last->head_hash;
    last_digest_line_hash_ = LineHash(*last_digest);
    if (auto end = ParseIsoTime(last->end_time); end.ok()) digest_period_start_ = *end;
  }
  next_seq_ = written_seq_ + 1;
  durable_seq_ = written_seq_;
  stats_.durable_seq = written_seq_;
  return Status::Ok();
}

std::uint64_t AuditLog::Append(std::string event_text) {
  std::lock_guard lock(mu_);
  const std::uint64_t seq = next_seq_++;
  queue_.push_back(Pending{seq, std::move(event_text)});
  ++stats_.appended;
  if (options_.durability == Durability::kStrict || queue_.size() >= kBatchedWakeDepth) wake_.notify_one();
  return seq;
}

void AuditLog::WhenDurable(std::uint64_t seq, std::function<void(bool durable)> done) {
  {
    std::lock_guard lock(mu_);
    if (durable_seq_.load() < seq && !closed_) {
      waiters_.push_back(Waiter{seq, std::move(done)});
      return;
    }
  }
  done(durable_seq_.load() >= seq);
}

void AuditLog::Flush() {
  std::uint64_t last = 0;
  {
    std::lock_guard lock(mu_);
    last = next_seq_ - 1;
    flush_requested_ = true;
    wake_.notify_one();
  }
  std::promise<void> flushed;
  WhenDurable(last, [&flushed](bool) { flushed.set_value(); });
  flushed.get_future().wait();
}

StatusOr<Digest> AuditLog::SignDigest() {
  std::unique_lock lock(mu_);
  if (closed_) return InternalError("audit log is closed");
  const std::uint64_t want = ++digest_requests_;
  wake_.notify_one();
  digest_done_.wait(lock, [&] { return digests_done_ >= want; });
  RETURN_IF_ERROR(last_digest_status_);
  Digest d;
  d.number = digest_number_;
  d.last_seq = digest_last_seq_;
  d.head_hash = digest_head_hash_;
  return d;
}

void AuditLog::Close() {
  {
    std::lock_guard lock(mu_);
    if (stop_) return;
    stop_ = true;
    wake_.notify_one();
  }
  if (writer_.joinable()) writer_.join();
}

AuditLogStats AuditLog::Stats() const {
  std::lock_guard lock(mu_);
  AuditLogStats out = stats_;
  out.queue_depth = queue_.size();
  return out;
}

void AuditLog::Run() {
  auto next_digest = SteadyClock::now() + options_.digest_interval;
  const bool strict = options_.durability == Durability::kStrict;
  std::unique_lock lock(mu_);
  for (;;) {
    const auto flush_by =
        strict ? SteadyClock::time_point::max() : SteadyClock::now() + options_.batch_interval;
    const auto wake_at = options_.digest_interval.count() > 0 ? std::min(flush_by, next_digest) : flush_by;
    wake_.wait_until(lock, wake_at, [&] {
      return stop_ || flush_requested_ || digest_requests_ > digests_done_ || (strict && !queue_.empty()) ||
             queue_.size() >= kBatchedWakeDepth;
    });
    std::vector<Pending> batch;
    batch.swap(queue_);
    flush_requested_ = false;
    const bool stopping = stop_;
    const bool digest_due = stopping || digest_requests_ > digests_done_ ||
                            (options_.digest_interval.count() > 0 && SteadyClock::now() >= next_digest);
    lock.unlock();
    if (!batch.empty()) {
      if (WriteBatch(batch)) {
        SyncThrough(batch.back().seq);
      } else if (!stopping) {
        // Fail closed and try again later, not in a tight loop.
        lock.lock();
        wake_.wait_for(lock, options_.retry_interval, [&] { return stop_; });
        lock.unlock();
      }
    }
    Status digest_status;
    if (digest_due) {
      digest_status = WriteDigest();
      if (digest_status.ok()) EnforceRetention();
      next_digest = SteadyClock::now() + options_.digest_interval;
    }
    lock.lock();
    if (digest_due) {
      last_digest_status_ = digest_status;
      digests_done_ = digest_requests_;
      digest_done_.notify_all();
    }
    // A trail that cannot be written at shutdown loses what is queued (logged).
    if (stopping && (queue_.empty() || !healthy_)) break;
  }
  closed_ = true;
  if (!queue_.empty()) spdlog::critical("audit: {} events not recorded at shutdown", queue_.size());
  lock.unlock();
  ReleaseWaiters(std::numeric_limits<std::uint64_t>::max(), false);
}

// Makes everything written so far durable and answers the requests waiting
// for it. On the writer thread, right after the write: events that arrive
// meanwhile queue up and go out with the next write and sync (group commit).
// No hand-off to other threads: with syncer threads overlapping their
// fdatasyncs the sync rate was the same, and every batch cost several futex
// wake-ups more (docs/performance.md, 2026-12-02).
void AuditLog::SyncThrough(std::uint64_t target) {
  const auto started = SteadyClock::now();
  const Status st = Sync(events_fd_);
  const double seconds = std::chrono::duration<double>(SteadyClock::now() - started).count();
  if (!st.ok())
    spdlog::critical("audit: {}; audited requests are refused until the trail is written", st.message());
  {
    std::lock_guard lock(mu_);
    ++stats_.flushes;
    stats_.flush_seconds_total += seconds;
    if (!st.ok()) ++stats_.write_errors;
    if (st.ok() && target > durable_seq_.load()) {
      durable_seq_ = target;
      stats_.durable_seq = target;
    }
  }
  healthy_.store(st.ok(), std::memory_order_release);
  ReleaseWaiters(target, st.ok());
}

bool AuditLog::WriteBatch(std::vector<Pending>& batch) {
  std::string buffer;
  std::size_t size = 0;
  for (const auto& pending : batch) size += pending.event_text.size() + 200;
  buffer.reserve(size);
  std::string hash = head_hash_;
  std::string next;
  for (auto& pending : batch) {
    AppendRecord(pending.seq, hash, pending.event_text, buffer, next);
    buffer += '\n';
    hash.swap(next);
  }
  const off_t before = ::lseek(events_fd_, 0, SEEK_END);
  Status st = WriteOnly(events_fd_, buffer);
  if (st.ok()) {
    head_hash_ = hash;
    written_seq_ = batch.back().seq;
    return true;
  }
  // Fail closed: cut what part of the batch reached the file (so a retry
  // does not leave a torn line mid-chain), keep the records for the retry,
  // and answer their requests with an error instead of a success.
  spdlog::critical("audit: {} ({} events waiting); audited requests are refused until the trail is written",
                   st.message(), batch.size());
  if (before >= 0 && ::ftruncate(events_fd_, before) != 0)
    spdlog::critical("audit: cannot cut a partial write");
  healthy_.store(false, std::memory_order_release);
  {
    std::lock_guard lock(mu_);
    ++stats_.write_errors;
    queue_.insert(queue_.begin(), std::make_move_iterator(batch.begin()),
                  std::make_move_iterator(batch.end()));
  }
  ReleaseWaiters(batch.back().seq, false);
  return false;
}

Status AuditLog::WriteDigest() {
  RETURN_IF_ERROR(Sync(events_fd_));  // a digest never covers records that are not on disk
  const TimePoint now = clock_.Now();
  Digest d;
  d.number = digest_number_ + 1;
  d.start_time = IsoTime(digest_period_start_);
  d.end_time = IsoTime(now);
  d.first_seq = digest_last_seq_ + 1;
  d.last_seq = written_seq_;
  d.count = written_seq_ - digest_last_seq_;
  d.head_hash = head_hash_;
  d.previous_digest_hash = last_digest_line_hash_;
  d.public_key_fingerprint = key_fingerprint_;
  d.node_id = options_.node_id;
  ASSIGN_OR_RETURN(Bytes signature, key_->Sign(AsBytes(DigestSignedText(d))));
  d.signature = Base64Encode(signature);
  const std::string line = FormatDigest(d);
  RETURN_IF_ERROR(WriteAll(digests_fd_, line + "\n"));
  digest_number_ = d.number;
  digest_last_seq_ = d.last_seq;
  digest_head_hash_ = d.head_hash;
  last_digest_line_hash_ = LineHash(line);
  digest_period_start_ = now;
  std::lock_guard lock(mu_);
  ++stats_.digests;
  return Status::Ok();
}

void AuditLog::EnforceRetention() {
  if (options_.retention.count() <= 0) return;
  const TimePoint now = clock_.Now();
  auto dropped = ApplyRetention(options_.dir, now - options_.retention, now, *key_, events_fd_, digests_fd_);
  if (!dropped.ok()) {
    spdlog::error("audit retention: {}", dropped.status().message());
  } else if (*dropped > 0) {
    spdlog::info("audit retention: dropped {} records older than the retention period", *dropped);
  }
}

void AuditLog::ReleaseWaiters(std::uint64_t through, bool durable) {
  released_.clear();
  {
    std::lock_guard lock(mu_);
    std::size_t kept = 0;
    for (std::size_t i = 0; i < waiters_.size(); ++i) {
      if (waiters_[i].seq <= through) {
        released_.push_back(std::move(waiters_[i].done));
      } else if (kept++ != i) {
        waiters_[kept - 1] = std::move(waiters_[i]);
      }
    }
    waiters_.resize(kept);
  }
  for (auto& done : released_) done(durable);
  released_.clear();
}

}  // namespace coffer::audit
