// The key-usage index behind GetKeyLastUsage: uses seen live, uses read back
// from the trail file after a restart, and what is not a use.
#include "audit/key_usage.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <random>

#include "audit/chain.h"

namespace coffer::audit {
namespace {

using nlohmann::json;

const TimePoint kT0 = std::chrono::system_clock::from_time_t(1'800'000'000);
const std::string kKey = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const std::string kOther = "arn:aws:kms:us-east-1:111122223333:key/99999999-12ab-34cd-56ef-1234567890ab";

class KeyUsageTest : public ::testing::Test {
 protected:
  KeyUsageTest() {
    dir_ = std::filesystem::temp_directory_path() /
           ("coffer-key-usage-" + std::to_string(std::random_device{}()) + "-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  ~KeyUsageTest() override { std::filesystem::remove_all(dir_); }

  void WriteTrail(const std::vector<json>& events) {
    std::ofstream out(dir_ / kEventsFile);
    std::string prev(kGenesisHash);
    for (std::size_t i = 0; i < events.size(); ++i)
      out << FormatRecord(i + 1, prev, events[i].dump(), &prev) << "\n";
  }
  static json Event(std::string name, std::string id, int second, const std::string& key,
                    bool failed = false) {
    json e = {{"eventID", id},
              {"eventName", name},
              {"eventSource", "kms.amazonaws.com"},
              {"eventTime", IsoTime(kT0 + std::chrono::seconds(second))},
              {"requestID", "req-" + id},
              {"resources", json::array({{{"type", "AWS::KMS::Key"}, {"ARN", key}}})}};
    if (failed) e["errorCode"] = "DisabledException";
    return e;
  }
  server::RequestTrace Trace(std::string service, std::string op, const json& response, TimePoint t) {
    server::RequestTrace trace;
    trace.service = std::move(service);
    trace.operation = std::move(op);
    trace.request_id = "live-" + trace.operation;
    trace.time = t;
    responses_.push_back(std::make_unique<json>(response));
    trace.response = responses_.back().get();
    return trace;
  }

  std::filesystem::path dir_;
  std::vector<std::unique_ptr<json>> responses_;
};

TEST_F(KeyUsageTest, RecordsSuccessfulCryptographicUsesAsTheyHappen) {
  KeyUsageIndex index(dir_, kT0);
  index.Observe(Trace("kms", "Encrypt", {{"KeyId", kKey}}, kT0 + std::chrono::seconds(5)), "ev-1");
  auto use = index.LastUse(kKey);
  ASSERT_TRUE(use.has_value());
  EXPECT_EQ(use->operation, "Encrypt");
  EXPECT_EQ(use->event_id, "ev-1");
  EXPECT_EQ(use->request_id, "live-Encrypt");
  EXPECT_EQ(use->time, kT0 + std::chrono::seconds(5));
  EXPECT_EQ(index.TrackingStart(), kT0);  // empty trail: tracking starts now
}

TEST_F(KeyUsageTest, IgnoresFailuresManagementCallsAndOtherServices) {
  KeyUsageIndex index(dir_, kT0);
  server::RequestTrace failed = Trace("kms", "Decrypt", {{"KeyId", kKey}}, kT0);
  failed.status = Status(ErrorCode::kDisabled, "disabled");
  index.Observe(failed, "ev-failed");
  index.Observe(Trace("kms", "DescribeKey", {{"KeyId", kKey}}, kT0), "ev-describe");
  index.Observe(Trace("secretsmanager", "Encrypt", {{"KeyId", kKey}}, kT0), "ev-other");
  EXPECT_FALSE(index.LastUse(kKey).has_value());
}

TEST_F(KeyUsageTest, ReEncryptIsAUseOfBothKeys) {
  KeyUsageIndex index(dir_, kT0);
  index.Observe(Trace("kms", "ReEncrypt", {{"KeyId", kKey}, {"SourceKeyId", kOther}}, kT0), "ev-re");
  ASSERT_TRUE(index.LastUse(kKey).has_value());
  ASSERT_TRUE(index.LastUse(kOther).has_value());
  EXPECT_EQ(index.LastUse(kOther)->operation, "ReEncrypt");
}

TEST_F(KeyUsageTest, AfterARestartTheNewestSuccessfulUseIsReadFromTheTrail) {
  WriteTrail({Event("CreateKey", "a", 0, kKey), Event("Encrypt", "b", 10, kKey),
              Event("Sign", "c", 20, kOther), Event("Decrypt", "d", 30, kKey),
              Event("Decrypt", "e", 40, kKey, /*failed=*/true)});
  KeyUsageIndex index(dir_, kT0 + std::chrono::hours(1));
  EXPECT_EQ(index.TrackingStart(), kT0);  // the trail's first record
  auto use = index.LastUse(kKey);
  ASSERT_TRUE(use.has_value());
  EXPECT_EQ(use->operation, "Decrypt");
  EXPECT_EQ(use->event_id, "d");
  EXPECT_EQ(use->request_id, "req-d");
  EXPECT_EQ(use->time, kT0 + std::chrono::seconds(30));
  // A live use afterwards replaces it.
  index.Observe(Trace("kms", "GenerateMac", {{"KeyId", kKey}}, kT0 + std::chrono::hours(2)), "ev-live");
  EXPECT_EQ(index.LastUse(kKey)->event_id, "ev-live");
}

TEST_F(KeyUsageTest, AKeyNeverUsedHasNoLastUse) {
  WriteTrail({Event("CreateKey", "a", 0, kKey)});
  KeyUsageIndex index(dir_, kT0);
  EXPECT_FALSE(index.LastUse(kKey).has_value());
}

}  // namespace
}  // namespace coffer::audit
