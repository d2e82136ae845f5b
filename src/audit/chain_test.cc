// The record and digest formats of the audit trail, field by field.
#include "audit/chain.h"

#include <gtest/gtest.h>

namespace coffer::audit {
namespace {

using nlohmann::json;

TEST(RecordHash, MatchesTheDocumentedConstruction) {
  // SHA-256("coffer-audit-record-v1\n1\n" + 64 zeros + "\n" + '{"a":1}'), computed with Python's hashlib.
  EXPECT_EQ(RecordHash(1, kGenesisHash, R"({"a":1})"),
            "f9837da1b6f335667c51ef36f4bb4c00a72701648c090eefae684754069576f1");
}

TEST(RecordHash, BindsPositionPreviousHashAndContent) {
  const std::string base = RecordHash(1, kGenesisHash, R"({"a":1})");
  EXPECT_NE(RecordHash(2, kGenesisHash, R"({"a":1})"), base);
  EXPECT_NE(RecordHash(1, std::string(64, '1'), R"({"a":1})"), base);
  EXPECT_NE(RecordHash(1, kGenesisHash, R"({"a":2})"), base);
}

TEST(Record, FormatThenParseKeepsEveryField) {
  const json event = {{"eventName", "Encrypt"}, {"eventTime", "2026-12-01T10:00:00Z"}};
  std::string hash;
  const std::string line = FormatRecord(7, kGenesisHash, event, &hash);
  auto parsed = ParseRecord(line);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->seq, 7u);
  EXPECT_EQ(parsed->prev, kGenesisHash);
  EXPECT_EQ(parsed->hash, hash);
  EXPECT_EQ(parsed->event, event);
  EXPECT_EQ(hash, RecordHash(7, kGenesisHash, event.dump()));
  EXPECT_EQ(line.find('\n'), std::string::npos);
}

TEST(Record, ParseRejectsEachMalformedField) {
  const std::string h(64, 'a');
  const std::string ok_event = R"("event":{"x":1})";
  EXPECT_FALSE(ParseRecord("not json").ok());
  EXPECT_FALSE(ParseRecord("[1,2]").ok());
  EXPECT_FALSE(
      ParseRecord(R"({"prev":")" + h + R"(","hash":")" + h + R"(",)" + ok_event + "}").ok());  // no seq
  EXPECT_FALSE(
      ParseRecord(R"({"seq":-1,"prev":")" + h + R"(","hash":")" + h + R"(",)" + ok_event + "}").ok());
  EXPECT_FALSE(ParseRecord(R"({"seq":1,"prev":"abc","hash":")" + h + R"(",)" + ok_event + "}").ok());
  EXPECT_FALSE(ParseRecord(R"({"seq":1,"prev":")" + h + R"(","hash":")" + std::string(64, 'z') + R"(",)" +
                           ok_event + "}")
                   .ok());
  EXPECT_FALSE(ParseRecord(R"({"seq":1,"prev":")" + h + R"(","hash":")" + h + R"(","event":3})").ok());
  EXPECT_TRUE(ParseRecord(R"({"seq":1,"prev":")" + h + R"(","hash":")" + h + R"(",)" + ok_event + "}").ok());
}

Digest SampleDigest() {
  Digest d;
  d.number = 3;
  d.start_time = "2026-12-01T10:00:00Z";
  d.end_time = "2026-12-01T10:15:00Z";
  d.first_seq = 11;
  d.last_seq = 20;
  d.count = 10;
  d.head_hash = std::string(64, 'b');
  d.previous_digest_hash = std::string(64, 'c');
  d.public_key_fingerprint = std::string(64, 'd');
  d.signature = "c2ln";
  return d;
}

TEST(Digest, FormatThenParseKeepsEveryField) {
  const Digest d = SampleDigest();
  auto parsed = ParseDigest(FormatDigest(d));
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->number, d.number);
  EXPECT_EQ(parsed->start_time, d.start_time);
  EXPECT_EQ(parsed->end_time, d.end_time);
  EXPECT_EQ(parsed->first_seq, d.first_seq);
  EXPECT_EQ(parsed->last_seq, d.last_seq);
  EXPECT_EQ(parsed->count, d.count);
  EXPECT_EQ(parsed->head_hash, d.head_hash);
  EXPECT_EQ(parsed->previous_digest_hash, d.previous_digest_hash);
  EXPECT_EQ(parsed->public_key_fingerprint, d.public_key_fingerprint);
  EXPECT_EQ(parsed->signature, d.signature);
}

TEST(Digest, SignedTextExcludesOnlyTheSignature) {
  const Digest d = SampleDigest();
  const json signed_part = json::parse(DigestSignedText(d));
  EXPECT_FALSE(signed_part.contains("signature"));
  json whole = json::parse(FormatDigest(d));
  whole.erase("signature");
  EXPECT_EQ(signed_part, whole);
  EXPECT_EQ(signed_part["signatureAlgorithm"], "ECDSA_P384_SHA384");
}

TEST(Digest, ParseRejectsMissingFieldsAndUnknownVersion) {
  json doc = json::parse(FormatDigest(SampleDigest()));
  for (const char* field : {"number", "firstSeq", "lastSeq", "count", "startTime", "endTime", "headHash",
                            "previousDigestHash", "publicKeyFingerprint", "signature"}) {
    json broken = doc;
    broken.erase(field);
    EXPECT_FALSE(ParseDigest(broken.dump()).ok()) << field;
  }
  doc["digestVersion"] = 2;
  EXPECT_FALSE(ParseDigest(doc.dump()).ok());
  EXPECT_FALSE(ParseDigest("{").ok());
}

TEST(IsoTime, FormatsAndParsesUtcSeconds) {
  const TimePoint t = std::chrono::system_clock::from_time_t(1'800'000'000);
  EXPECT_EQ(IsoTime(t), "2027-01-15T08:00:00Z");
  auto back = ParseIsoTime("2027-01-15T08:00:00Z");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, t);
  EXPECT_FALSE(ParseIsoTime("2027-01-15 08:00:00").ok());
  EXPECT_FALSE(ParseIsoTime("2027-01-15T08:00:00Zjunk").ok());
}

}  // namespace
}  // namespace coffer::audit
