#include "s3/conditions.h"

#include <charconv>

#include "s3/errors.h"
#include "s3/uri.h"

namespace coffer::s3 {
namespace {

Status PreconditionFailed() {
  return S3Error("PreconditionFailed", "At least one of the pre-conditions you specified did not hold");
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string_view Unquote(std::string_view s) {
  s = Trim(s);
  if (s.starts_with("W/")) s.remove_prefix(2);
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') return s.substr(1, s.size() - 2);
  return s;
}

// Whole seconds: HTTP dates have no finer resolution.
bool ModifiedAfter(const ObjectRecord& object, std::int64_t since_ms) {
  return object.last_modified_ms / 1000 > since_ms / 1000;
}

struct Conditions {
  std::string_view if_match, if_none_match, if_modified_since, if_unmodified_since;
};

StatusOr<ReadVerdict> Evaluate(const Conditions& c, const ObjectRecord& object) {
  if (!c.if_match.empty()) {
    if (!EtagListMatches(c.if_match, object.etag)) return PreconditionFailed();
  } else if (!c.if_unmodified_since.empty()) {
    std::optional<std::int64_t> since = ParseHttpDate(c.if_unmodified_since);
    if (since && ModifiedAfter(object, *since)) return PreconditionFailed();
  }
  if (!c.if_none_match.empty()) {
    if (EtagListMatches(c.if_none_match, object.etag)) return ReadVerdict::kNotModified;
  } else if (!c.if_modified_since.empty()) {
    std::optional<std::int64_t> since = ParseHttpDate(c.if_modified_since);
    if (since && !ModifiedAfter(object, *since)) return ReadVerdict::kNotModified;
  }
  return ReadVerdict::kServe;
}

bool ParseNumber(std::string_view s, std::uint64_t& out) {
  if (s.empty() || s.size() > 19) return false;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

}  // namespace

bool EtagListMatches(std::string_view list, std::string_view etag) {
  const std::string_view bare = Unquote(etag);
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    const std::string_view item = Trim(list.substr(0, comma));
    if (item == "*" || Unquote(item) == bare) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

StatusOr<ReadVerdict> CheckReadConditions(const S3Request& req, const ObjectRecord& object) {
  return Evaluate({req.Header("if-match"), req.Header("if-none-match"), req.Header("if-modified-since"),
                   req.Header("if-unmodified-since")},
                  object);
}

Status CheckConditionalWriteHeaders(const S3Request& req) {
  if (req.HasHeader("if-none-match") && Trim(req.Header("if-none-match")) != "*") {
    return S3Error("NotImplemented", "A header you provided implies functionality that is not implemented");
  }
  return Status::Ok();
}

Status CheckWriteConditions(const S3Request& req, const ObjectRecord* existing) {
  if (req.HasHeader("if-none-match") && existing != nullptr) return PreconditionFailed();
  if (req.HasHeader("if-match")) {
    if (existing == nullptr) return NoSuchKey(req.key);
    if (!EtagListMatches(req.Header("if-match"), existing->etag)) return PreconditionFailed();
  }
  return Status::Ok();
}

std::optional<ByteRange> ParseRange(std::string_view header, std::uint64_t size) {
  header = Trim(header);
  if (!header.starts_with("bytes=")) return std::nullopt;
  std::string_view spec = Trim(header.substr(6));
  if (spec.find(',') != std::string_view::npos) return std::nullopt;  // S3 serves no multi-range
  const std::size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  const std::string_view a = Trim(spec.substr(0, dash));
  const std::string_view b = Trim(spec.substr(dash + 1));
  std::uint64_t first = 0;
  std::uint64_t last = 0;
  if (a.empty()) {  // suffix: the last b bytes
    if (!ParseNumber(b, last)) return std::nullopt;
    if (last == 0) return ByteRange{0, 0, true};
    if (size == 0) return ByteRange{0, 0, true};
    return ByteRange{size > last ? size - last : 0, size - 1, false};
  }
  if (!ParseNumber(a, first)) return std::nullopt;
  if (b.empty()) {
    last = size == 0 ? 0 : size - 1;
  } else if (!ParseNumber(b, last) || last < first) {
    return std::nullopt;
  }
  if (first >= size) return ByteRange{0, 0, true};
  return ByteRange{first, std::min(last, size - 1), false};
}

StatusOr<CopySource> ParseCopySource(std::string_view header) {
  const Status invalid = InvalidArgument("Invalid copy source object key");
  std::string_view raw = header;
  std::optional<std::string> version_id;
  if (const std::size_t q = raw.find('?'); q != std::string_view::npos) {
    if (!raw.substr(q + 1).starts_with("versionId=")) return invalid;
    version_id = std::string(raw.substr(q + 11));
    if (version_id->empty()) return invalid;
    raw = raw.substr(0, q);
  }
  std::optional<std::string> decoded = PercentDecode(raw, false);
  if (!decoded) return invalid;
  std::string_view path = *decoded;
  if (path.starts_with("/")) path.remove_prefix(1);
  const std::size_t slash = path.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 >= path.size()) return invalid;
  return CopySource{std::string(path.substr(0, slash)), std::string(path.substr(slash + 1)), version_id};
}

Status CheckCopySourceConditions(const S3Request& req, const ObjectRecord& source) {
  StatusOr<ReadVerdict> verdict =
      Evaluate({req.Header("x-amz-copy-source-if-match"), req.Header("x-amz-copy-source-if-none-match"),
                req.Header("x-amz-copy-source-if-modified-since"),
                req.Header("x-amz-copy-source-if-unmodified-since")},
               source);
  if (!verdict.ok()) return verdict.status();
  // A copy whose source "was not modified" is a failed precondition, not a 304.
  if (*verdict == ReadVerdict::kNotModified) return PreconditionFailed();
  return Status::Ok();
}

}  // namespace coffer::s3
