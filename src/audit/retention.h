// Retention: dropping whole digest periods older than the retention time
// without breaking verification. Before the files are rewritten, a signed
// marker (retention.json) records where the kept chain starts: its first
// record's seq and prev hash, and its first digest's number and previous
// digest hash. The verifier accepts a log that starts after seq 1 only where
// the marker says so; any other missing beginning is still reported.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "audit/chain.h"
#include "common/bytes.h"
#include "crypto/signing_key.h"

namespace coffer::audit {

inline constexpr std::string_view kRetentionFile = "retention.json";

struct RetentionMarker {
  std::uint64_t first_seq = 1;
  std::string prev_hash;  // prev of record first_seq
  std::uint64_t first_digest = 1;
  std::string previous_digest_hash;  // previousDigestHash of digest first_digest
  std::string time;
  std::string signature;  // base64 ECDSA P-384 / SHA-384 over the marker without it
};

std::string RetentionSignedText(const RetentionMarker& marker);
// nullopt when there is no marker; kValidation when it is malformed or its
// signature does not verify under `public_der`.
StatusOr<std::optional<RetentionMarker>> LoadRetentionMarker(const std::filesystem::path& dir,
                                                             ByteView public_der);

// Drops the oldest digest periods that ended before `cutoff` (always keeping
// the newest digest and everything after it). `events_fd` keeps referring to
// the (rewritten) events file. Returns how many records were dropped.
StatusOr<std::uint64_t> ApplyRetention(const std::filesystem::path& dir, TimePoint cutoff, TimePoint now,
                                       const crypto::P384SigningKey& key, int events_fd, int digests_fd);

}  // namespace coffer::audit
