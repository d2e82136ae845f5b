// HTTP conditional requests as S3 applies them (RFC 9110 section 13 order:
// If-Match, then If-Unmodified-Since unless If-Match was given; If-None-Match,
// then If-Modified-Since unless If-None-Match was given), conditional writes
// (If-None-Match: * and If-Match on PutObject / CompleteMultipartUpload), the
// Range header, and x-amz-copy-source with its own conditions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "s3/service.h"

namespace coffer::s3 {

enum class ReadVerdict { kServe, kNotModified };
// PreconditionFailed (412) or a verdict.
StatusOr<ReadVerdict> CheckReadConditions(const S3Request& req, const ObjectRecord& object);

// Before the body is read: S3 supports only "*" in If-None-Match on writes.
Status CheckConditionalWriteHeaders(const S3Request& req);
// At commit, against the current object (nullptr when there is none).
Status CheckWriteConditions(const S3Request& req, const ObjectRecord* existing);

struct ByteRange {
  std::uint64_t first = 0;
  std::uint64_t last = 0;  // inclusive
  bool unsatisfiable = false;
};
// nullopt when the header is not one S3 honours (S3 then serves the whole object).
std::optional<ByteRange> ParseRange(std::string_view header, std::uint64_t size);

struct CopySource {
  std::string bucket;
  std::string key;
  std::optional<std::string> version_id;  // from "?versionId="
};
StatusOr<CopySource> ParseCopySource(std::string_view header);
Status CheckCopySourceConditions(const S3Request& req, const ObjectRecord& source);

// Whether an If-Match / If-None-Match list names this ETag ("*" matches any).
bool EtagListMatches(std::string_view list, std::string_view etag);

}  // namespace coffer::s3
