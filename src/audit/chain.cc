#include "audit/chain.h"

#include <cstdio>
#include <ctime>

#include "common/encoding.h"
#include "crypto/crypto.h"

namespace coffer::audit {
namespace {

using nlohmann::json;

std::string HexSha256(std::string_view text) {
  const crypto::Sha256Digest digest = crypto::Sha256(AsBytes(text));
  return HexEncode(digest);
}

bool IsHash(const json& value) {
  return value.is_string() && value.get_ref<const std::string&>().size() == 64 &&
         HexDecode(value.get_ref<const std::string&>()).has_value();
}

json DigestBody(const Digest& d) {
  return {{"digestVersion", 1},
          {"number", d.number},
          {"startTime", d.start_time},
          {"endTime", d.end_time},
          {"firstSeq", d.first_seq},
          {"lastSeq", d.last_seq},
          {"count", d.count},
          {"headHash", d.head_hash},
          {"previousDigestHash", d.previous_digest_hash},
          {"signatureAlgorithm", "ECDSA_P384_SHA384"},
          {"publicKeyFingerprint", d.public_key_fingerprint}};
}

StatusOr<std::uint64_t> ReadCount(const json& doc, const char* name) {
  const auto it = doc.find(name);
  if (it == doc.end() || !it->is_number_unsigned())
    return ValidationError(std::string("bad or missing ") + name);
  return it->get<std::uint64_t>();
}

StatusOr<std::string> ReadString(const json& doc, const char* name) {
  const auto it = doc.find(name);
  if (it == doc.end() || !it->is_string()) return ValidationError(std::string("bad or missing ") + name);
  return it->get<std::string>();
}

}  // namespace

std::string RecordHash(std::uint64_t seq, std::string_view prev_hex, std::string_view event_text) {
  std::string material = "coffer-audit-record-v1\n" + std::to_string(seq) + "\n";
  material.append(prev_hex).append("\n").append(event_text);
  return HexSha256(material);
}

std::string FormatRecord(std::uint64_t seq, std::string_view prev_hex, const json& event,
                         std::string* out_hash) {
  const std::string text = event.dump(-1, ' ', false, json::error_handler_t::replace);
  std::string hash = RecordHash(seq, prev_hex, text);
  std::string line = "{\"event\":" + text + ",\"hash\":\"" + hash + "\",\"prev\":\"" + std::string(prev_hex) +
                     "\",\"seq\":" + std::to_string(seq) + "}";
  if (out_hash != nullptr) *out_hash = std::move(hash);
  return line;
}

StatusOr<ChainRecord> ParseRecord(std::string_view line) {
  const json doc = json::parse(line, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return ValidationError("record is not a JSON object");
  ChainRecord record;
  ASSIGN_OR_RETURN(record.seq, ReadCount(doc, "seq"));
  if (!IsHash(doc.value("prev", json())) || !IsHash(doc.value("hash", json()))) {
    return ValidationError("record has no valid prev/hash");
  }
  record.prev = doc["prev"].get<std::string>();
  record.hash = doc["hash"].get<std::string>();
  if (!doc.contains("event") || !doc["event"].is_object()) return ValidationError("record has no event");
  record.event = doc["event"];
  return record;
}

std::string DigestSignedText(const Digest& digest) { return DigestBody(digest).dump(); }

std::string FormatDigest(const Digest& digest) {
  json body = DigestBody(digest);
  body["signature"] = digest.signature;
  return body.dump();
}

StatusOr<Digest> ParseDigest(std::string_view line) {
  const json doc = json::parse(line, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return ValidationError("digest is not a JSON object");
  if (doc.value("digestVersion", 0) != 1) return ValidationError("unknown digestVersion");
  Digest d;
  ASSIGN_OR_RETURN(d.number, ReadCount(doc, "number"));
  ASSIGN_OR_RETURN(d.first_seq, ReadCount(doc, "firstSeq"));
  ASSIGN_OR_RETURN(d.last_seq, ReadCount(doc, "lastSeq"));
  ASSIGN_OR_RETURN(d.count, ReadCount(doc, "count"));
  ASSIGN_OR_RETURN(d.start_time, ReadString(doc, "startTime"));
  ASSIGN_OR_RETURN(d.end_time, ReadString(doc, "endTime"));
  ASSIGN_OR_RETURN(d.head_hash, ReadString(doc, "headHash"));
  ASSIGN_OR_RETURN(d.previous_digest_hash, ReadString(doc, "previousDigestHash"));
  ASSIGN_OR_RETURN(d.public_key_fingerprint, ReadString(doc, "publicKeyFingerprint"));
  ASSIGN_OR_RETURN(d.signature, ReadString(doc, "signature"));
  return d;
}

std::string LineHash(std::string_view line) { return HexSha256(line); }

std::string IsoTime(TimePoint t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

StatusOr<TimePoint> ParseIsoTime(std::string_view text) {
  std::tm tm{};
  const std::string s(text);
  const char* end = strptime(s.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  if (end == nullptr || *end != '\0') return ValidationError("not an ISO 8601 UTC time: " + s.substr(0, 40));
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

}  // namespace coffer::audit
