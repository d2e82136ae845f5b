// The on-disk format of the audit trail: one hash-chained record per line in
// events.jsonl, and one signed digest per line in digests.jsonl.
//
//   record: {"event":{CloudTrail record},"hash":"<hex>","prev":"<hex>","seq":N}
//     exactly in this layout, where
//     hash = SHA-256("coffer-audit-record-v1\n" + N + "\n" + prev + "\n" + event)
//     over the event's JSON text exactly as it stands in the line (no
//     re-serialisation, so no canonical form is needed), and prev is the
//     previous record's hash (64 zeros for seq 1).
//   digest: {"digestVersion":1,"number":K,"startTime","endTime","firstSeq",
//     "lastSeq","count","headHash","previousDigestHash","signatureAlgorithm",
//     "publicKeyFingerprint",["nodeId",]"signature"}
//     signature = ECDSA P-384 / SHA-384 over the digest's JSON text without
//     "signature"; previousDigestHash = SHA-256 of the previous digest line.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/status_or.h"

namespace coffer::audit {

inline constexpr std::string_view kGenesisHash =
    "0000000000000000000000000000000000000000000000000000000000000000";
inline constexpr std::string_view kEventsFile = "events.jsonl";
inline constexpr std::string_view kDigestsFile = "digests.jsonl";
inline constexpr std::string_view kPublicKeyFile = "public-key.pem";
inline constexpr std::string_view kSigningKeyFile = "signing-key.json";
// Held (flock) by the process writing the chain.
inline constexpr std::string_view kLockFile = "writer.lock";

struct ChainRecord {
  std::uint64_t seq = 0;
  std::string prev;        // hex
  std::string hash;        // hex
  std::string event_text;  // as written in the line: what `hash` covers
  nlohmann::json event;
};

// Hex SHA-256 binding the position, the previous hash and the event text.
std::string RecordHash(std::uint64_t seq, std::string_view prev_hex, std::string_view event_text);
// A whole line (no newline) for a record whose hash is computed here;
// `event_text` is the event's compact JSON text (one object).
// FormatRecord appending to `out`, the record's hash assigned to `out_hash`
// (the audit writer's hot path: reused buffers, no line of its own).
void AppendRecord(std::uint64_t seq, std::string_view prev_hex, std::string_view event_text, std::string& out,
                  std::string& out_hash);
std::string FormatRecord(std::uint64_t seq, std::string_view prev_hex, std::string_view event_text,
                         std::string* out_hash);
// Parses a line in FormatRecord's layout; kValidation naming what is missing
// or malformed. Does not check the hash (the verifier does, to report where
// it breaks).
StatusOr<ChainRecord> ParseRecord(std::string_view line);

struct Digest {
  std::uint64_t number = 0;
  std::string start_time;  // ISO 8601, the period the digest closes
  std::string end_time;
  std::uint64_t first_seq = 0;  // first record covered (last_seq + 1 of the previous digest)
  std::uint64_t last_seq = 0;   // last record covered (== first_seq - 1 when count is 0)
  std::uint64_t count = 0;
  std::string head_hash;               // hash of record last_seq (previous head when empty)
  std::string previous_digest_hash;    // SHA-256 hex of the previous digest line (zeros for the first)
  std::string public_key_fingerprint;  // SHA-256 hex of the public key DER
  std::string signature;               // base64 DER
  // The node whose chain this is (cluster mode, signed with the rest);
  // empty for a single node's log and for digests written before node ids.
  std::string node_id;
};

// The text that is signed: the digest as JSON without "signature".
std::string DigestSignedText(const Digest& digest);
std::string FormatDigest(const Digest& digest);
StatusOr<Digest> ParseDigest(std::string_view line);
// SHA-256 hex of a line's bytes.
std::string LineHash(std::string_view line);

// "2026-12-01T18:22:20Z" (second precision, as CloudTrail writes eventTime).
std::string IsoTime(TimePoint t);
// Parses IsoTime's form; kValidation otherwise.
StatusOr<TimePoint> ParseIsoTime(std::string_view text);

}  // namespace coffer::audit
