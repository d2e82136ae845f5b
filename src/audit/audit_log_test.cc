// The audit log end to end on disk: group commit, durability callbacks,
// recovery after restart and torn writes, digests, and the offline verifier
// finding every kind of tampering at the place it happened.
#include "audit/audit_log.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <future>
#include <random>

#include "audit/audit_test_util.h"
#include "audit/signing_key_store.h"
#include "audit/verify.h"
#include "common/encoding.h"
#include "crypto/signing_key.h"

namespace coffer::audit {
namespace {

using nlohmann::json;

using test_util::ReadLines;
using test_util::WriteLines;

class AuditLogTest : public ::testing::Test {
 protected:
  AuditLogTest() : clock_(std::chrono::system_clock::from_time_t(1'800'000'000)) {
    dir_ = std::filesystem::temp_directory_path() /
           ("coffer-audit-test-" + std::to_string(std::random_device{}()) + "-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    auto key = crypto::P384SigningKey::Generate();
    EXPECT_TRUE(key.ok());
    pkcs8_ = std::move((*key)->Pkcs8()).value();
    std::ofstream(dir_ / kPublicKeyFile) << crypto::PublicKeyPem((*key)->PublicKeyDer());
  }
  ~AuditLogTest() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<AuditLog> Open(Durability mode = Durability::kStrict,
                                 std::chrono::hours retention = std::chrono::hours(0)) {
    AuditLogOptions options;
    options.dir = dir_;
    options.durability = mode;
    options.digest_interval = std::chrono::seconds(0);
    options.retention = retention;
    auto key = crypto::P384SigningKey::FromPkcs8(pkcs8_.view());
    EXPECT_TRUE(key.ok());
    auto log = AuditLog::Open(options, std::move(*key), clock_);
    EXPECT_TRUE(log.ok()) << log.status().ToString();
    return std::move(*log);
  }

  std::string Event(int i) const {
    return json{{"eventName", "Encrypt"}, {"eventTime", IsoTime(clock_.Now())}, {"n", i}}.dump();
  }

  // Writes `records` events with a digest after every `per_digest` of them.
  void Populate(int records, int per_digest) {
    auto log = Open();
    for (int i = 1; i <= records; ++i) {
      log->Append(Event(i));
      if (i % per_digest == 0) {
        log->Flush();
        ASSERT_TRUE(log->SignDigest().ok());
      }
      clock_.Advance(std::chrono::seconds(1));
    }
    log->Flush();
  }

  VerifyReport Verify() {
    VerifyOptions options;
    options.dir = dir_;
    auto report = VerifyAuditDir(options);
    EXPECT_TRUE(report.ok()) << report.status().ToString();
    return *report;
  }

  std::filesystem::path events() const { return dir_ / kEventsFile; }
  std::filesystem::path digests() const { return dir_ / kDigestsFile; }

  FakeClock clock_;
  std::filesystem::path dir_;
  SecretBytes pkcs8_;
};

TEST_F(AuditLogTest, StrictAppendsAreDurableWhenTheCallbackRuns) {
  auto log = Open();
  const std::uint64_t seq = log->Append(Event(1));
  EXPECT_EQ(seq, 1u);
  std::promise<void> durable;
  log->WhenDurable(seq, [&](bool) { durable.set_value(); });
  durable.get_future().wait();
  const auto lines = ReadLines(events());
  ASSERT_EQ(lines.size(), 1u);
  auto record = ParseRecord(lines[0]);
  ASSERT_TRUE(record.ok());
  EXPECT_EQ(record->seq, 1u);
  EXPECT_EQ(record->prev, kGenesisHash);
  EXPECT_EQ(record->event["n"], 1);
}

TEST_F(AuditLogTest, ManyConcurrentAppendsFormOneChainInSequenceOrder) {
  auto log = Open();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) log->Append(Event(t * 100 + i));
    });
  }
  for (auto& t : threads) t.join();
  log->Flush();
  const auto lines = ReadLines(events());
  ASSERT_EQ(lines.size(), 200u);
  std::string prev(kGenesisHash);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    auto record = ParseRecord(lines[i]);
    ASSERT_TRUE(record.ok());
    EXPECT_EQ(record->seq, i + 1);
    EXPECT_EQ(record->prev, prev);
    prev = record->hash;
  }
  EXPECT_LT(log->Stats().flushes, 200u);  // group commit: fewer fsyncs than events
  EXPECT_TRUE(Verify().ok());
}

TEST_F(AuditLogTest, BatchedModeWritesOnFlush) {
  auto log = Open(Durability::kBatched);
  for (int i = 0; i < 10; ++i) log->Append(Event(i));
  log->Flush();
  EXPECT_EQ(ReadLines(events()).size(), 10u);
  EXPECT_EQ(log->Stats().durable_seq, 10u);
}

TEST_F(AuditLogTest, ReopenContinuesTheChain) {
  Populate(3, 100);
  {
    auto log = Open();
    EXPECT_EQ(log->Append(Event(4)), 4u);
    log->Flush();
  }
  const auto report = Verify();
  EXPECT_TRUE(report.ok()) << report.ToJson().dump();
  EXPECT_EQ(report.records, 4u);
}

TEST_F(AuditLogTest, ATornLastLineIsCutOffAtTheNextStart) {
  Populate(2, 100);
  std::ofstream(events(), std::ios::app) << R"({"event":{"n":3},"ha)";
  {
    auto log = Open();
    EXPECT_EQ(log->Append(Event(3)), 3u);
    log->Flush();
  }
  EXPECT_EQ(ReadLines(events()).size(), 3u);
  EXPECT_TRUE(Verify().ok());
}

// Recovery reads the trail from its end in a growing window (64 KiB first):
// a trail far longer than the window, and a last record longer than it.
TEST_F(AuditLogTest, RecoveryContinuesATrailLongerThanItsReadWindow) {
  Populate(1500, 500);  // ~150 KB of records
  {
    auto log = Open();
    EXPECT_EQ(log->Append(Event(1501)), 1501u);
    log->Flush();
  }
  EXPECT_EQ(ReadLines(events()).size(), 1501u);
  EXPECT_TRUE(Verify().ok());
}

TEST_F(AuditLogTest, RecoveryContinuesAfterALastRecordLongerThanTheReadWindow) {
  {
    auto log = Open();
    log->Append(Event(1));
    log->Append(json{{"eventName", "Encrypt"}, {"padding", std::string(300 * 1024, 'x')}}.dump());
    log->Flush();
  }
  std::ofstream(events(), std::ios::app) << R"({"event":{"n":3},"ha)";  // and a torn tail after it
  {
    auto log = Open();
    EXPECT_EQ(log->Append(Event(3)), 3u);
    log->Flush();
  }
  EXPECT_EQ(ReadLines(events()).size(), 3u);
  EXPECT_TRUE(Verify().ok());
}

TEST_F(AuditLogTest, ATornFirstLineLeavesAnEmptyTrailToStartFrom) {
  std::filesystem::create_directories(events().parent_path());
  std::ofstream(events()) << R"({"event":{"n":1},"ha)";
  {
    auto log = Open();
    EXPECT_EQ(log->Append(Event(1)), 1u);
    log->Flush();
  }
  EXPECT_EQ(ReadLines(events()).size(), 1u);
  EXPECT_TRUE(Verify().ok());
}

TEST_F(AuditLogTest, CloseSignsAFinalDigestCoveringEverything) {
  Populate(5, 100);  // the log closes here
  const auto lines = ReadLines(digests());
  ASSERT_EQ(lines.size(), 1u);
  auto d = ParseDigest(lines[0]);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->number, 1u);
  EXPECT_EQ(d->first_seq, 1u);
  EXPECT_EQ(d->last_seq, 5u);
  EXPECT_EQ(d->count, 5u);
  EXPECT_EQ(d->previous_digest_hash, kGenesisHash);
  EXPECT_EQ(d->head_hash, ParseRecord(ReadLines(events()).back())->hash);
  const auto report = Verify();
  EXPECT_TRUE(report.ok()) << report.ToJson().dump();
  EXPECT_EQ(report.unsigned_tail, 0u);
}

TEST_F(AuditLogTest, DigestSignaturesVerifyWithTheExportedKeyOnly) {
  Populate(6, 2);
  const auto lines = ReadLines(digests());
  ASSERT_EQ(lines.size(), 4u);  // after 2, 4, 6, and the final one at close (empty)
  auto last = ParseDigest(lines.back());
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(last->count, 0u);
  EXPECT_EQ(last->first_seq, 7u);
  auto pem = ReadWholeFile(dir_ / kPublicKeyFile);
  auto der = crypto::PublicKeyFromPem(*pem);
  ASSERT_TRUE(der.ok());
  for (const auto& line : lines) {
    auto d = ParseDigest(line);
    EXPECT_TRUE(crypto::VerifyP384(*der, AsBytes(DigestSignedText(*d)), *Base64Decode(d->signature)).ok());
  }
}

// ---- tampering: each is found, at the line where it happened ----

TEST_F(AuditLogTest, VerifyFindsADeletedRecord) {
  Populate(6, 3);
  auto lines = ReadLines(events());
  lines.erase(lines.begin() + 2);  // seq 3
  WriteLines(events(), lines);
  const auto report = Verify();
  ASSERT_TRUE(report.first_record_problem.has_value());
  EXPECT_EQ(report.first_record_problem->line, 3u);
  EXPECT_NE(report.first_record_problem->what.find("seq 4 where 3 was expected"), std::string::npos);
}

TEST_F(AuditLogTest, VerifyFindsAnEditedRecord) {
  Populate(6, 3);
  auto lines = ReadLines(events());
  const auto pos = lines[3].find("\"n\":4");
  ASSERT_NE(pos, std::string::npos);
  lines[3].replace(pos, 5, "\"n\":9");
  WriteLines(events(), lines);
  const auto report = Verify();
  ASSERT_TRUE(report.first_record_problem.has_value());
  EXPECT_EQ(report.first_record_problem->line, 4u);
  EXPECT_NE(report.first_record_problem->what.find("edited"), std::string::npos);
}

TEST_F(AuditLogTest, VerifyFindsReorderedRecords) {
  Populate(6, 3);
  auto lines = ReadLines(events());
  std::swap(lines[1], lines[2]);
  WriteLines(events(), lines);
  const auto report = Verify();
  ASSERT_TRUE(report.first_record_problem.has_value());
  EXPECT_EQ(report.first_record_problem->line, 2u);
}

TEST_F(AuditLogTest, VerifyFindsAnInsertedRecord) {
  Populate(6, 3);
  auto lines = ReadLines(events());
  auto forged = ParseRecord(lines[1]);
  lines.insert(lines.begin() + 2, FormatRecord(3, forged->hash, Event(99), nullptr));
  WriteLines(events(), lines);
  const auto report = Verify();
  ASSERT_TRUE(report.first_record_problem.has_value());
  EXPECT_EQ(report.first_record_problem->line, 4u);  // the genuine seq 3 no longer follows
}

TEST_F(AuditLogTest, VerifyFindsAChainRewrittenAfterSigning) {
  Populate(4, 4);
  // Rewrite every record with a consistent new chain: only the digest can tell.
  auto lines = ReadLines(events());
  std::string prev(kGenesisHash);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    auto record = ParseRecord(lines[i]);
    record->event["n"] = 100 + static_cast<int>(i);
    lines[i] = FormatRecord(record->seq, prev, record->event.dump(), &prev);
  }
  WriteLines(events(), lines);
  const auto report = Verify();
  EXPECT_FALSE(report.first_record_problem.has_value());
  ASSERT_TRUE(report.first_digest_problem.has_value());
  EXPECT_EQ(report.first_digest_problem->line, 1u);
  EXPECT_NE(report.first_digest_problem->what.find("rewritten"), std::string::npos);
}

TEST_F(AuditLogTest, VerifyFindsRecordsCutFromTheEnd) {
  Populate(6, 3);
  auto lines = ReadLines(events());
  lines.resize(4);
  WriteLines(events(), lines);
  const auto report = Verify();
  ASSERT_TRUE(report.first_digest_problem.has_value());
  EXPECT_NE(report.first_digest_problem->what.find("deleted at the end"), std::string::npos);
}

TEST_F(AuditLogTest, VerifyFindsADeletedDigest) {
  Populate(9, 3);
  auto lines = ReadLines(digests());
  lines.erase(lines.begin() + 1);
  WriteLines(digests(), lines);
  const auto report = Verify();
  ASSERT_TRUE(report.first_digest_problem.has_value());
  EXPECT_EQ(report.first_digest_problem->line, 2u);
  EXPECT_NE(report.first_digest_problem->what.find("previous digest"), std::string::npos);
}

TEST_F(AuditLogTest, VerifyFindsAnEditedDigest) {
  Populate(6, 3);
  auto lines = ReadLines(digests());
  auto doc = json::parse(lines[0]);
  doc["count"] = 2;
  doc["lastSeq"] = 2;
  lines[0] = doc.dump();
  WriteLines(digests(), lines);
  const auto report = Verify();
  ASSERT_TRUE(report.first_digest_problem.has_value());
  EXPECT_EQ(report.first_digest_problem->line, 1u);
  EXPECT_NE(report.first_digest_problem->what.find("signature"), std::string::npos);
}

TEST_F(AuditLogTest, VerifyFindsReorderedDigests) {
  Populate(9, 3);
  auto lines = ReadLines(digests());
  std::swap(lines[0], lines[1]);
  WriteLines(digests(), lines);
  EXPECT_TRUE(Verify().first_digest_problem.has_value());
}

TEST_F(AuditLogTest, VerifyFindsADigestSignedByAnotherKey) {
  Populate(3, 3);
  auto other = crypto::P384SigningKey::Generate();
  std::ofstream(dir_ / kPublicKeyFile, std::ios::trunc) << crypto::PublicKeyPem((*other)->PublicKeyDer());
  const auto report = Verify();
  ASSERT_TRUE(report.first_digest_problem.has_value());
  EXPECT_NE(report.first_digest_problem->what.find("another key"), std::string::npos);
}

TEST_F(AuditLogTest, VerifyCountsRecordsAfterTheLastDigest) {
  Populate(3, 100);
  {
    auto log = Open();
    log->Append(Event(4));
  }
  auto lines = ReadLines(digests());
  ASSERT_EQ(lines.size(), 2u);
  lines.pop_back();  // as after a crash: the record is durable, its digest was never signed
  WriteLines(digests(), lines);
  const auto report = Verify();
  EXPECT_TRUE(report.ok()) << report.ToJson().dump();
  EXPECT_EQ(report.unsigned_tail, 1u);
}

TEST_F(AuditLogTest, TimeRangeLimitsWhichProblemsAreReported) {
  Populate(6, 100);
  auto lines = ReadLines(events());
  lines.erase(lines.begin() + 4);  // seq 5 at t0+4s
  WriteLines(events(), lines);
  VerifyOptions options;
  options.dir = dir_;
  options.to = std::chrono::system_clock::from_time_t(1'800'000'002);
  auto early = VerifyAuditDir(options);
  ASSERT_TRUE(early.ok());
  EXPECT_FALSE(early->first_record_problem.has_value());
  EXPECT_EQ(early->records_in_range, 3u);
  options.to.reset();
  options.from = std::chrono::system_clock::from_time_t(1'800'000'003);
  auto late = VerifyAuditDir(options);
  EXPECT_TRUE(late->first_record_problem.has_value());
}

// ---- retention ----

TEST_F(AuditLogTest, RetentionDropsOldDigestPeriodsAndTheTrailStillVerifies) {
  {
    auto log = Open(Durability::kStrict, std::chrono::hours(24));
    for (int i = 1; i <= 6; ++i) {
      log->Append(Event(i));
      if (i % 2 == 0) {
        ASSERT_TRUE(log->SignDigest().ok());  // digests after 2, 4, 6
      }
      clock_.Advance(std::chrono::hours(10));
    }
    // Now t0+60h: the periods ending at t0+10h and t0+30h are older than 24 h.
    log->Append(Event(7));
    ASSERT_TRUE(log->SignDigest().ok());
  }
  const auto lines = ReadLines(events());
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(ParseRecord(lines.front())->seq, 5u);
  EXPECT_EQ(ParseDigest(ReadLines(digests()).front())->number, 3u);
  const auto report = Verify();
  EXPECT_TRUE(report.ok()) << report.ToJson().dump();
  EXPECT_EQ(report.records, 3u);
}

TEST_F(AuditLogTest, RetentionDoesNotExcuseFurtherDeletions) {
  {
    auto log = Open(Durability::kStrict, std::chrono::hours(24));
    for (int i = 1; i <= 6; ++i) {
      log->Append(Event(i));
      if (i % 2 == 0) {
        ASSERT_TRUE(log->SignDigest().ok());
      }
      clock_.Advance(std::chrono::hours(10));
    }
    ASSERT_TRUE(log->SignDigest().ok());
  }
  auto lines = ReadLines(events());
  lines.erase(lines.begin());  // one more record than retention removed
  WriteLines(events(), lines);
  const auto report = Verify();
  ASSERT_TRUE(report.first_record_problem.has_value());
  EXPECT_NE(report.first_record_problem->what.find("missing"), std::string::npos);
}

TEST_F(AuditLogTest, AForgedRetentionMarkerIsRejected) {
  Populate(4, 2);
  auto lines = ReadLines(events());
  lines.erase(lines.begin(), lines.begin() + 2);
  WriteLines(events(), lines);
  std::ofstream(dir_ / "retention.json")
      << R"({"retentionVersion":1,"firstSeq":3,"prevHash":"x","firstDigest":2,"previousDigestHash":"y",)"
      << R"("time":"2027-01-15T08:00:00Z","signature":"AAAA"})";
  VerifyOptions options;
  options.dir = dir_;
  EXPECT_EQ(VerifyAuditDir(options).status().code(), ErrorCode::kValidation);
}

TEST_F(AuditLogTest, VerifyNeedsThePublicKeyAndTheLog) {
  VerifyOptions options;
  options.dir = dir_ / "missing";
  EXPECT_FALSE(VerifyAuditDir(options).ok());
  options.dir = dir_;
  EXPECT_EQ(VerifyAuditDir(options).status().code(), ErrorCode::kNotFound);  // no events.jsonl yet
}

}  // namespace
}  // namespace coffer::audit
