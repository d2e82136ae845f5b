// The record and digest formats of the audit trail, field by field.
#include "audit/chain.h"

#include <gtest/gtest.h>

#include "audit/event.h"
#include "common/iso_time.h"

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
  // Not in nlohmann's sorted order, and with a value that looks like the
  // record's own tail: the hash covers the text as written.
  const std::string text = R"({"eventTime":"2026-12-01T10:00:00Z","eventName":",\"hash\":\"x"})";
  std::string hash;
  const std::string line = FormatRecord(7, kGenesisHash, text, &hash);
  auto parsed = ParseRecord(line);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->seq, 7u);
  EXPECT_EQ(parsed->prev, kGenesisHash);
  EXPECT_EQ(parsed->hash, hash);
  EXPECT_EQ(parsed->event_text, text);
  EXPECT_EQ(parsed->event, json::parse(text));
  EXPECT_EQ(hash, RecordHash(7, kGenesisHash, text));
  EXPECT_EQ(line.find('\n'), std::string::npos);
  // The whole line is one JSON document with the four members.
  const json doc = json::parse(line);
  EXPECT_EQ(doc["seq"], 7);
  EXPECT_EQ(doc["hash"], hash);
}

// Lines written before the event text was kept as written (nlohmann's dump
// of the event, keys sorted) still parse, and their hashes still check.
TEST(Record, ReadsLinesOfTheEarlierWriter) {
  const json event = {{"eventName", "Encrypt"}, {"eventTime", "2026-12-01T10:00:00Z"}};
  const std::string hash = RecordHash(3, kGenesisHash, event.dump());
  const std::string line = R"({"event":)" + event.dump() + R"(,"hash":")" + hash + R"(","prev":")" +
                           std::string(kGenesisHash) + R"(","seq":3})";
  auto parsed = ParseRecord(line);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(RecordHash(parsed->seq, parsed->prev, parsed->event_text), parsed->hash);
}

TEST(Record, ParseRejectsEachMalformedField) {
  const std::string h(64, 'a');
  const auto line = [](std::string_view event, std::string_view hash, std::string_view prev,
                       std::string_view seq) {
    return "{\"event\":" + std::string(event) + ",\"hash\":\"" + std::string(hash) + "\",\"prev\":\"" +
           std::string(prev) + "\",\"seq\":" + std::string(seq) + "}";
  };
  ASSERT_TRUE(ParseRecord(line(R"({"x":1})", h, h, "1")).ok());
  EXPECT_FALSE(ParseRecord("not json").ok());
  EXPECT_FALSE(ParseRecord("[1,2]").ok());
  // Another member order is not the chain's layout.
  EXPECT_FALSE(ParseRecord(R"({"seq":1,"prev":")" + h + R"(","hash":")" + h + R"(","event":{"x":1}})").ok());
  EXPECT_FALSE(ParseRecord(line(R"({"x":1})", h, h, "")).ok());                      // no seq
  EXPECT_FALSE(ParseRecord(line(R"({"x":1})", h, h, "-1")).ok());                    // signed
  EXPECT_FALSE(ParseRecord(line(R"({"x":1})", h, h, "01")).ok());                    // leading zero
  EXPECT_FALSE(ParseRecord(line(R"({"x":1})", h, h, "1x")).ok());                    // trailing text
  EXPECT_FALSE(ParseRecord(line(R"({"x":1})", h, h, "99999999999999999999")).ok());  // > 2^64
  EXPECT_FALSE(ParseRecord(line(R"({"x":1})", h, "abc", "1")).ok());                 // short prev
  EXPECT_FALSE(ParseRecord(line(R"({"x":1})", "abc", h, "1")).ok());                 // short hash
  EXPECT_FALSE(ParseRecord(line(R"({"x":1})", h + "a", h, "1")).ok());               // long hash
  const std::string whole = line(R"({"x":1})", h, h, "1");
  EXPECT_FALSE(ParseRecord(whole.substr(0, whole.size() - 1)).ok());                 // no closing brace
  EXPECT_FALSE(ParseRecord(whole.substr(9)).ok());                                   // no {"event": head
  EXPECT_FALSE(ParseRecord(line(R"({"x":1})", std::string(64, 'z'), h, "1")).ok());  // not hex
  EXPECT_FALSE(ParseRecord(line(R"({"x":1})", std::string(64, 'A'), h, "1")).ok());  // not lower case
  EXPECT_FALSE(ParseRecord(line("3", h, h, "1")).ok());                              // not an object
  EXPECT_FALSE(ParseRecord(line(R"({"x":1)", h, h, "1")).ok());                      // not JSON
  EXPECT_FALSE(ParseRecord(line(R"({"x":1})", h, h, "1") + " ").ok());               // trailing space
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

TEST(IsoTime, TheBufferedTextIsTheSame) {
  const TimePoint t = std::chrono::system_clock::from_time_t(1'800'000'000);
  EXPECT_EQ(IsoSecondsText(t).view(), "2027-01-15T08:00:00Z");
  EXPECT_EQ(IsoSecondsText(t).view(), IsoTime(t));
}

TEST(EventSource, TheBufferedNameIsTheSameAndALongServiceDoesNotFit) {
  char buffer[64];
  EXPECT_EQ(EventSourceInto("kms", buffer), "kms.amazonaws.com");
  EXPECT_EQ(EventSourceInto("secretsmanager", buffer), EventSource("secretsmanager"));
  const std::string fifty(50, 's');
  EXPECT_EQ(EventSourceInto(fifty, buffer), fifty + ".amazonaws.com");
  EXPECT_TRUE(EventSourceInto(fifty + "s", buffer).empty());
}

}  // namespace
}  // namespace coffer::audit
