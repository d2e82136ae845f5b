// Offline verification of an audit directory (the live one or an exported
// copy): chain continuity and hashes of every record, signature, order and
// coverage of every digest. Needs only the files and the public key, never
// the root key.
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "common/clock.h"
#include "common/status_or.h"

namespace coffer::audit {

struct VerifyOptions {
  std::filesystem::path dir;                        // holds events.jsonl, digests.jsonl
  std::optional<std::filesystem::path> public_key;  // PEM; default <dir>/public-key.pem
  std::optional<std::string> public_key_pem;        // the key itself (cluster register); wins over both
  // Cluster mode: the node whose chain this must be. Every record's
  // cofferNodeId and every digest's nodeId must name it.
  std::optional<std::string> node_id;
  std::optional<TimePoint> from;  // only report problems of records in [from, to]
  std::optional<TimePoint> to;
};

struct Problem {
  std::string file;        // "events.jsonl" / "digests.jsonl"
  std::uint64_t line = 0;  // 1-based
  std::string what;
};

struct VerifyReport {
  std::uint64_t records = 0;  // records read
  std::uint64_t records_in_range = 0;
  std::uint64_t digests = 0;        // digests read
  std::uint64_t unsigned_tail = 0;  // records after the last digest
  std::optional<Problem> first_record_problem;
  std::optional<Problem> first_digest_problem;
  bool ok() const { return !first_record_problem && !first_digest_problem; }
  nlohmann::json ToJson() const;
};

// kNotFound / kValidation when the directory or key cannot be read at all;
// otherwise a report (whose ok() says whether the trail is intact).
StatusOr<VerifyReport> VerifyAuditDir(const VerifyOptions& options);

}  // namespace coffer::audit
