#include "audit/chain.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <ctime>

#include "common/encoding.h"
#include "common/iso_time.h"
#include "crypto/crypto.h"

namespace coffer::audit {
namespace {

using nlohmann::json;

std::string HexSha256(std::string_view text) {
  const crypto::Sha256Digest digest = crypto::Sha256(AsBytes(text));
  return HexEncode(digest);
}

constexpr std::string_view kRecordHead = "{\"event\":";
constexpr std::string_view kHashField = ",\"hash\":\"";
constexpr std::string_view kPrevField = "\",\"prev\":\"";
constexpr std::string_view kSeqField = "\",\"seq\":";

bool IsHash(std::string_view text) {
  return text.size() == 64 && std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// A record's sequence number: decimal digits, no sign or leading zero.
StatusOr<std::uint64_t> ParseSeq(std::string_view digits) {
  std::uint64_t seq = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), seq);
  if (ec != std::errc() || end != digits.data() + digits.size() || digits.empty() ||
      (digits.size() > 1 && digits[0] == '0')) {
    return ValidationError("record has no valid seq");
  }
  return seq;
}

json DigestBody(const Digest& d) {
  json body = {{"digestVersion", 1},
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
  if (!d.node_id.empty()) body["nodeId"] = d.node_id;
  return body;
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

namespace {

void AssignRecordHash(std::uint64_t seq, std::string_view prev_hex, std::string_view event_text,
                      std::string& out_hex) {
  // Hashed in pieces: the event text is not copied.
  thread_local crypto::Sha256Hasher hasher;
  char seq_text[24];
  const auto seq_end = std::to_chars(seq_text, seq_text + sizeof seq_text, seq).ptr;
  hasher.Update(AsBytes(std::string_view("coffer-audit-record-v1\n")));
  hasher.Update(AsBytes(std::string_view(seq_text, seq_end)));
  hasher.Update(AsBytes(std::string_view("\n")));
  hasher.Update(AsBytes(prev_hex));
  hasher.Update(AsBytes(std::string_view("\n")));
  hasher.Update(AsBytes(event_text));
  out_hex.clear();
  AppendHex(hasher.Final(), out_hex);
}

}  // namespace

std::string RecordHash(std::uint64_t seq, std::string_view prev_hex, std::string_view event_text) {
  std::string hash;
  AssignRecordHash(seq, prev_hex, event_text, hash);
  return hash;
}

void AppendRecord(std::uint64_t seq, std::string_view prev_hex, std::string_view event_text, std::string& out,
                  std::string& out_hash) {
  AssignRecordHash(seq, prev_hex, event_text, out_hash);
  char seq_text[24];
  const auto seq_end = std::to_chars(seq_text, seq_text + sizeof seq_text, seq).ptr;
  out.reserve(out.size() + event_text.size() + 192);
  out.append(kRecordHead).append(event_text).append(kHashField).append(out_hash).append(kPrevField);
  out.append(prev_hex).append(kSeqField).append(seq_text, seq_end).push_back('}');
}

std::string FormatRecord(std::uint64_t seq, std::string_view prev_hex, std::string_view event_text,
                         std::string* out_hash) {
  std::string line;
  std::string hash;
  AppendRecord(seq, prev_hex, event_text, line, hash);
  if (out_hash != nullptr) *out_hash = std::move(hash);
  return line;
}

StatusOr<ChainRecord> ParseRecord(std::string_view line) {
  // The tail after the event holds only hex, digits and fixed text, so the
  // last `,"hash":"` is the real one whatever the event contains.
  const std::size_t hash_at = line.rfind(kHashField);
  if (!line.starts_with(kRecordHead) || hash_at == std::string_view::npos || !line.ends_with('}')) {
    return ValidationError("record is not in the chain's layout {\"event\":...,\"hash\",\"prev\",\"seq\"}");
  }
  std::string_view tail = line.substr(hash_at + kHashField.size());
  ChainRecord record;
  record.hash = std::string(tail.substr(0, 64));
  tail.remove_prefix(std::min<std::size_t>(64, tail.size()));
  if (!tail.starts_with(kPrevField) || !IsHash(record.hash))
    return ValidationError("record has no valid hash");
  tail.remove_prefix(kPrevField.size());
  record.prev = std::string(tail.substr(0, 64));
  tail.remove_prefix(std::min<std::size_t>(64, tail.size()));
  if (!tail.starts_with(kSeqField) || !IsHash(record.prev))
    return ValidationError("record has no valid prev");
  ASSIGN_OR_RETURN(record.seq, ParseSeq(tail.substr(kSeqField.size(), tail.size() - kSeqField.size() - 1)));
  record.event_text = std::string(line.substr(kRecordHead.size(), hash_at - kRecordHead.size()));
  record.event = json::parse(record.event_text, nullptr, false);
  if (record.event.is_discarded() || !record.event.is_object()) return ValidationError("record has no event");
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
  if (doc.contains("nodeId")) {
    ASSIGN_OR_RETURN(d.node_id, ReadString(doc, "nodeId"));
  }
  return d;
}

std::string LineHash(std::string_view line) { return HexSha256(line); }

std::string IsoTime(TimePoint t) { return IsoSeconds(t); }

StatusOr<TimePoint> ParseIsoTime(std::string_view text) {
  std::tm tm{};
  const std::string s(text);
  const char* end = strptime(s.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  if (end == nullptr || *end != '\0') return ValidationError("not an ISO 8601 UTC time: " + s.substr(0, 40));
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

}  // namespace coffer::audit
