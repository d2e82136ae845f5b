// PostJson against real loopback listeners: one that answers, one that
// accepts and stays silent (the deadline must end the call).
#include "net/http_post.h"

#include <gtest/gtest.h>

#include "net/test_listener.h"

namespace coffer::net {
namespace {

TEST(ParseHttpUrlTest, SplitsHostPortAndTarget) {
  auto url = ParseHttpUrl("http://127.0.0.1:8080/rotate/now");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->host, "127.0.0.1");
  EXPECT_EQ(url->port, "8080");
  EXPECT_EQ(url->target, "/rotate/now");
  auto bare = ParseHttpUrl("http://example.com");
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->port, "80");
  EXPECT_EQ(bare->target, "/");
}

TEST(ParseHttpUrlTest, RefusesOtherSchemesAndEmptyHosts) {
  EXPECT_EQ(ParseHttpUrl("https://example.com/x").status().code(), ErrorCode::kValidation);
  EXPECT_EQ(ParseHttpUrl("ftp://example.com").status().code(), ErrorCode::kValidation);
  EXPECT_EQ(ParseHttpUrl("http://").status().code(), ErrorCode::kValidation);
  EXPECT_EQ(ParseHttpUrl("http://:80/").status().code(), ErrorCode::kValidation);
}

HttpUrl Url(const TestListener& l) { return {"127.0.0.1", std::to_string(l.port()), "/hook"}; }

TEST(PostJsonTest, ReturnsTheAnswersStatus) {
  auto status = [] {
    TestListener listener(/*answer=*/true);
    return PostJson(Url(listener), R"({"a":1})", {{"X-Test", "1"}}, std::chrono::seconds(5));
  }();
  ASSERT_TRUE(status.ok()) << status.status().message();
  EXPECT_EQ(*status, 204);
}

TEST(PostJsonTest, ASilentListenerEndsInUnavailableAtTheDeadline) {
  TestListener listener(/*answer=*/false);
  auto status = PostJson(Url(listener), "{}", {}, std::chrono::milliseconds(200));
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.status().code(), ErrorCode::kUnavailable);
}

TEST(PostJsonTest, ARefusedConnectionIsUnavailable) {
  HttpUrl closed;
  {
    TestListener probe(/*answer=*/true);
    closed = Url(probe);
    ASSERT_TRUE(PostJson(closed, "{}", {}, std::chrono::seconds(5)).ok());
  }
  auto status = PostJson(closed, "{}", {}, std::chrono::seconds(5));
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.status().code(), ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace coffer::net
