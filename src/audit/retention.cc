#include "audit/retention.h"

#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "common/encoding.h"
#include "common/files.h"

namespace coffer::audit {
namespace {

using nlohmann::json;

json MarkerBody(const RetentionMarker& m) {
  return {{"retentionVersion", 1},
          {"firstSeq", m.first_seq},
          {"prevHash", m.prev_hash},
          {"firstDigest", m.first_digest},
          {"previousDigestHash", m.previous_digest_hash},
          {"time", m.time}};
}

std::vector<std::string> Lines(const std::filesystem::path& path) {
  std::vector<std::string> out;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// Rewrites `path` with `lines` and points `fd` (an O_APPEND descriptor of the
// old file) at the new file, atomically for concurrent users of `fd`.
Status Rewrite(const std::filesystem::path& path, const std::vector<std::string>& lines, int fd) {
  std::string text;
  for (const auto& line : lines) text += line + "\n";
  RETURN_IF_ERROR(WriteFileAtomically(path, text, 0600));
  const int fresh = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fresh < 0) return InternalError("cannot reopen " + path.string());
  const bool ok = ::dup2(fresh, fd) >= 0;
  ::close(fresh);
  return ok ? Status::Ok() : InternalError("cannot reopen " + path.string());
}

}  // namespace

std::string RetentionSignedText(const RetentionMarker& marker) { return MarkerBody(marker).dump(); }

StatusOr<std::optional<RetentionMarker>> LoadRetentionMarker(const std::filesystem::path& dir,
                                                             ByteView public_der) {
  auto text = ReadWholeFile(dir / kRetentionFile);
  if (!text.ok()) return std::optional<RetentionMarker>();
  const json doc = json::parse(*text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || doc.value("retentionVersion", 0) != 1) {
    return ValidationError("retention marker is malformed");
  }
  RetentionMarker m;
  try {
    m.first_seq = doc.at("firstSeq").get<std::uint64_t>();
    m.prev_hash = doc.at("prevHash").get<std::string>();
    m.first_digest = doc.at("firstDigest").get<std::uint64_t>();
    m.previous_digest_hash = doc.at("previousDigestHash").get<std::string>();
    m.time = doc.at("time").get<std::string>();
    m.signature = doc.at("signature").get<std::string>();
  } catch (const json::exception&) {
    return ValidationError("retention marker is malformed");
  }
  const auto signature = Base64Decode(m.signature);
  if (!signature || !crypto::VerifyP384(public_der, AsBytes(RetentionSignedText(m)), *signature).ok()) {
    return ValidationError("retention marker signature does not verify");
  }
  return std::optional<RetentionMarker>(std::move(m));
}

StatusOr<std::uint64_t> ApplyRetention(const std::filesystem::path& dir, TimePoint cutoff, TimePoint now,
                                       const crypto::P384SigningKey& key, int events_fd, int digests_fd) {
  const auto digests = Lines(dir / kDigestsFile);
  std::optional<std::size_t> drop_through;  // index of the last digest to drop
  for (std::size_t i = 0; i + 1 < digests.size(); ++i) {
    auto d = ParseDigest(digests[i]);
    auto end = d.ok() ? ParseIsoTime(d->end_time) : StatusOr<TimePoint>(d.status());
    if (!end.ok() || *end >= cutoff) break;
    drop_through = i;
  }
  if (!drop_through) return std::uint64_t{0};
  ASSIGN_OR_RETURN(Digest last_dropped, ParseDigest(digests[*drop_through]));
  RetentionMarker m{last_dropped.last_seq + 1,        last_dropped.head_hash, last_dropped.number + 1,
                    LineHash(digests[*drop_through]), IsoTime(now),           ""};
  ASSIGN_OR_RETURN(Bytes signature, key.Sign(AsBytes(RetentionSignedText(m))));
  m.signature = Base64Encode(signature);
  json marker = MarkerBody(m);
  marker["signature"] = m.signature;
  // The marker first: a crash before the rewrite leaves a longer log, which verifies.
  RETURN_IF_ERROR(WriteFileAtomically(dir / kRetentionFile, marker.dump() + "\n", 0600));
  std::vector<std::string> kept_events;
  std::uint64_t dropped = 0;
  for (const auto& line : Lines(dir / kEventsFile)) {
    auto record = ParseRecord(line);
    if (record.ok() && record->seq < m.first_seq) {
      ++dropped;
      continue;
    }
    kept_events.push_back(line);
  }
  RETURN_IF_ERROR(Rewrite(dir / kEventsFile, kept_events, events_fd));
  RETURN_IF_ERROR(
      Rewrite(dir / kDigestsFile,
              std::vector<std::string>(digests.begin() + static_cast<std::ptrdiff_t>(*drop_through) + 1,
                                       digests.end()),
              digests_fd));
  return dropped;
}

}  // namespace coffer::audit
