// AuditLog: the append-only, hash-chained event log under <data>/audit/.
// Appends are queued; one writer thread assigns each record its place in the
// chain, writes a whole batch with one write(), fdatasyncs it and releases the
// requests waiting on it; events arriving during the sync form the next batch
// (group commit).
//
// Durability modes:
//  - strict: the writer flushes as soon as anything is queued; the server
//    holds each response until WhenDurable() fires for its ticket.
//  - batched: the writer flushes at most every `batch_interval` (<= 200 ms);
//    responses do not wait, so up to one interval of events can be lost on
//    power loss (never reordered or half-written: a torn last line is cut off
//    at the next start).
// Digests are signed every `digest_interval`, on SignDigest(), and at Close().
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "audit/chain.h"
#include "common/clock.h"
#include "crypto/signing_key.h"

namespace coffer::audit {

enum class Durability { kStrict, kBatched };

struct AuditLogOptions {
  std::filesystem::path dir;
  // Cluster mode: the node whose chain this is, written into every digest.
  std::string node_id;
  Durability durability = Durability::kStrict;
  std::chrono::milliseconds batch_interval{200};
  std::chrono::seconds digest_interval{900};  // 0: only SignDigest() and Close()
  // Digest periods that ended longer ago than this are dropped after each
  // digest (retention.h); 0 keeps everything.
  std::chrono::hours retention{0};
  // After a failed write or sync, how long the writer waits before trying
  // the queued records again.
  std::chrono::milliseconds retry_interval{1000};
};

struct AuditLogStats {
  std::uint64_t appended = 0;
  std::uint64_t durable_seq = 0;
  std::uint64_t flushes = 0;
  std::uint64_t write_errors = 0;
  std::uint64_t digests = 0;
  std::size_t queue_depth = 0;
  double flush_seconds_total = 0;  // time spent in write + fdatasync
};

class AuditLog {
 public:
  static StatusOr<std::unique_ptr<AuditLog>> Open(const AuditLogOptions& options,
                                                  std::unique_ptr<crypto::P384SigningKey> key,
                                                  const Clock& clock);
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  Durability durability() const { return options_.durability; }
  // The digest signing key's public half (DER).
  const Bytes& public_key_der() const { return key_->PublicKeyDer(); }
  // Queues an event (its compact JSON text, one object); returns its
  // sequence number (the durability ticket).
  std::uint64_t Append(std::string event_text);
  // Calls `done(true)` (on the writer thread, or here if already durable)
  // once record `seq` is on disk, or `done(false)` if writing or syncing the
  // batch holding it failed: strict mode then fails the request closed. A
  // failed batch stays queued and is written again (every retry_interval)
  // until the disk takes it, so the record is not lost.
  void WhenDurable(std::uint64_t seq, std::function<void(bool durable)> done);
  // False from a failed write or sync until a later batch is on disk.
  bool healthy() const { return healthy_.load(std::memory_order_acquire); }
  // Blocks until everything appended so far is durable.
  void Flush();
  // Flushes, then signs a digest covering the records since the last one.
  StatusOr<Digest> SignDigest();
  // Flushes, signs a final digest and stops the writer. Idempotent.
  void Close();
  AuditLogStats Stats() const;

 private:
  struct Pending {
    std::uint64_t seq;
    std::string event_text;
  };
  AuditLog(const AuditLogOptions& options, std::unique_ptr<crypto::P384SigningKey> key, const Clock& clock);
  Status LockDir();
  Status Recover();
  void Run();
  void SyncThrough(std::uint64_t target);
  // False when the batch could not be written: it is back at the queue's
  // front and its waiters were answered "not durable".
  bool WriteBatch(std::vector<Pending>& batch);
  Status WriteDigest();
  void EnforceRetention();
  void ReleaseWaiters(std::uint64_t through, bool durable);

  AuditLogOptions options_;
  std::unique_ptr<crypto::P384SigningKey> key_;
  const Clock& clock_;
  std::string key_fingerprint_;
  int events_fd_ = -1;
  int digests_fd_ = -1;
  int lock_fd_ = -1;

  // Writer-thread state (also read under mu_ by Stats()).
  std::string head_hash_{kGenesisHash};
  std::uint64_t written_seq_ = 0;
  std::uint64_t digest_number_ = 0;
  std::uint64_t digest_last_seq_ = 0;
  std::string digest_head_hash_{kGenesisHash};
  std::string last_digest_line_hash_{kGenesisHash};
  TimePoint digest_period_start_;

  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::condition_variable digest_done_;
  std::vector<Pending> queue_;
  std::uint64_t next_seq_ = 1;
  struct Waiter {
    std::uint64_t seq = 0;
    std::function<void(bool)> done;
  };
  // Requests waiting for their record to be durable. Vectors whose capacity is
  // kept: a warm group commit allocates nothing to queue and release them.
  std::vector<Waiter> waiters_;
  std::vector<std::function<void(bool)>> released_;  // writer thread only
  std::atomic<bool> healthy_{true};

  std::atomic<std::uint64_t> durable_seq_{0};
  bool stop_ = false;
  bool flush_requested_ = false;
  bool closed_ = false;
  std::uint64_t digest_requests_ = 0;
  std::uint64_t digests_done_ = 0;
  Status last_digest_status_;
  AuditLogStats stats_;
  std::thread writer_;
};

}  // namespace coffer::audit
