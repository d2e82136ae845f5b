// LookupEvents over a written log: account isolation, each lookup attribute,
// the time window, newest-first paging, and each rejected request.
#include "audit/lookup.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <random>

#include "audit/audit_test_util.h"
#include "audit/chain.h"

namespace coffer::audit {
namespace {

using nlohmann::json;

const TimePoint kT0 = std::chrono::system_clock::from_time_t(1'800'000'000);

class LookupTest : public ::testing::Test {
 protected:
  LookupTest() {
    dir_ =
        std::filesystem::temp_directory_path() /
        ("coffer-lookup-test-" + std::to_string(std::random_device{}()) + "-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    std::ofstream out(dir_ / kEventsFile);
    std::string prev(kGenesisHash);
    for (int i = 0; i < 10; ++i) {
      json e = {
          {"eventID", "id-" + std::to_string(i)},
          {"eventName", i % 2 == 0 ? "Encrypt" : "CreateKey"},
          {"eventSource", "kms.amazonaws.com"},
          {"eventTime", IsoTime(kT0 + std::chrono::seconds(i))},
          {"readOnly", i % 2 == 0},
          {"recipientAccountId", i == 9 ? "999999999999" : "111122223333"},
          {"userIdentity",
           {{"userName", i < 5 ? "alice" : "bob"}, {"accessKeyId", "AKIA" + std::to_string(i % 3)}}},
          {"resources",
           json::array({{{"type", "AWS::KMS::Key"},
                         {"ARN", "arn:aws:kms:us-east-1:111122223333:key/k" + std::to_string(i % 4)}}})}};
      out << FormatRecord(static_cast<std::uint64_t>(i + 1), prev, e.dump(), &prev) << "\n";
    }
  }
  ~LookupTest() override { std::filesystem::remove_all(dir_); }

  json Lookup(const json& request) {
    auto r = LookupEvents(dir_, "111122223333", request, kT0 + std::chrono::hours(1));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : json();
  }
  static std::vector<std::string> Ids(const json& response) { return test_util::EventIds(response); }
  static json Attr(const std::string& key, const std::string& value) {
    return {{"LookupAttributes", json::array({{{"AttributeKey", key}, {"AttributeValue", value}}})}};
  }

  std::filesystem::path dir_;
};

TEST_F(LookupTest, ReturnsTheCallersAccountNewestFirst) {
  const json r = Lookup(json::object());
  EXPECT_EQ(Ids(r), (std::vector<std::string>{"id-8", "id-7", "id-6", "id-5", "id-4", "id-3", "id-2", "id-1",
                                              "id-0"}));
  EXPECT_FALSE(r.contains("NextToken"));
  const json& first = r["Events"][0];
  EXPECT_EQ(first["EventName"], "Encrypt");
  EXPECT_EQ(first["ReadOnly"], "true");
  EXPECT_EQ(first["Username"], "bob");
  EXPECT_EQ(first["AccessKeyId"], "AKIA2");
  EXPECT_EQ(first["EventSource"], "kms.amazonaws.com");
  EXPECT_DOUBLE_EQ(first["EventTime"].get<double>(), 1'800'000'008.0);
  EXPECT_EQ(first["Resources"][0]["ResourceName"], "arn:aws:kms:us-east-1:111122223333:key/k0");
  EXPECT_EQ(json::parse(first["CloudTrailEvent"].get<std::string>())["eventID"], "id-8");
}

TEST_F(LookupTest, FiltersByEachAttribute) {
  EXPECT_EQ(Ids(Lookup(Attr("EventId", "id-3"))), (std::vector<std::string>{"id-3"}));
  EXPECT_EQ(Ids(Lookup(Attr("EventName", "CreateKey"))),
            (std::vector<std::string>{"id-7", "id-5", "id-3", "id-1"}));
  EXPECT_EQ(Ids(Lookup(Attr("ReadOnly", "false"))),
            (std::vector<std::string>{"id-7", "id-5", "id-3", "id-1"}));
  EXPECT_EQ(Ids(Lookup(Attr("Username", "alice"))).size(), 5u);
  EXPECT_EQ(Ids(Lookup(Attr("AccessKeyId", "AKIA1"))), (std::vector<std::string>{"id-7", "id-4", "id-1"}));
  EXPECT_EQ(Ids(Lookup(Attr("ResourceName", "arn:aws:kms:us-east-1:111122223333:key/k1"))),
            (std::vector<std::string>{"id-5", "id-1"}));
  EXPECT_EQ(Ids(Lookup(Attr("ResourceName", "k1"))), (std::vector<std::string>{"id-5", "id-1"}));
  EXPECT_EQ(Ids(Lookup(Attr("ResourceType", "AWS::KMS::Key"))).size(), 9u);
  EXPECT_EQ(Ids(Lookup(Attr("EventSource", "s3.amazonaws.com"))).size(), 0u);
}

TEST_F(LookupTest, FiltersByTimeWindow) {
  const json r = Lookup({{"StartTime", 1'800'000'002.0}, {"EndTime", 1'800'000'004.0}});
  EXPECT_EQ(Ids(r), (std::vector<std::string>{"id-4", "id-3", "id-2"}));
}

TEST_F(LookupTest, PagesWithNextTokenWithoutRepeatsOrGaps) {
  std::vector<std::string> all;
  json request = {{"MaxResults", 4}};
  int pages = 0;
  for (;;) {
    const json r = Lookup(request);
    ++pages;
    for (const auto& id : Ids(r)) all.push_back(id);
    if (!r.contains("NextToken")) break;
    request["NextToken"] = r["NextToken"];
  }
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(all, (std::vector<std::string>{"id-8", "id-7", "id-6", "id-5", "id-4", "id-3", "id-2", "id-1",
                                           "id-0"}));
}

TEST_F(LookupTest, RejectsAStartAfterTheEnd) {
  auto r = LookupEvents(dir_, "111122223333", {{"StartTime", 20.0}, {"EndTime", 10.0}}, kT0);
  EXPECT_EQ(r.status().code(), ErrorCode::kInvalidTimeRange);
}

TEST_F(LookupTest, RejectsMoreThanOneAttribute) {
  json request = Attr("EventName", "Encrypt");
  request["LookupAttributes"].push_back({{"AttributeKey", "Username"}, {"AttributeValue", "bob"}});
  EXPECT_EQ(LookupEvents(dir_, "111122223333", request, kT0).status().code(),
            ErrorCode::kInvalidLookupAttributes);
}

TEST_F(LookupTest, RejectsAForgedNextToken) {
  for (const char* token :
       {"not-base64!", "Zm9v" /* "foo" */, "Y29mZmVyLWxvb2t1cC12MTp4" /* prefix + "x" */}) {
    EXPECT_EQ(LookupEvents(dir_, "111122223333", {{"NextToken", token}}, kT0).status().code(),
              ErrorCode::kInvalidNextToken)
        << token;
  }
}

}  // namespace
}  // namespace coffer::audit
