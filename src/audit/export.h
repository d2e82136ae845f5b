// `coffer audit export`: CloudTrail-style files for tools that read them, and
// a verifiable copy of the chain.
//
//   <out>/AWSLogs/<account>/CloudTrail/<region>/<YYYY>/<MM>/<DD>/
//       <account>_CloudTrail_<region>_<YYYYMMDD>T0000Z_coffer.jsonl.gz
//       (gzip JSON lines, one CloudTrail record per line, per account/region/day)
//   <out>/AWSLogs/CloudTrail-Digest/coffer_digests.jsonl.gz   (every signed digest)
//   <out>/chain/{events.jsonl,digests.jsonl,public-key.pem,retention.json}
//       (byte-for-byte copies: `coffer audit verify --dir <out>/chain`)
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>

#include "common/clock.h"
#include "common/status_or.h"

namespace coffer::audit {

// Returns {"files": [...], "records": N}. --from/--to select the records of
// the CloudTrail-style files; the chain copy is always whole.
StatusOr<nlohmann::json> ExportAudit(const std::filesystem::path& audit_dir, const std::filesystem::path& out,
                                     std::optional<TimePoint> from, std::optional<TimePoint> to);

}  // namespace coffer::audit
