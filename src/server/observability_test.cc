// GET /metrics access control and the hooks Observability hands the router.
#include "server/observability.h"

#include <gtest/gtest.h>

#include "crypto/crypto.h"

namespace coffer::server {
namespace {

TEST(IsLoopback, RecognisesIpv4Ipv6AndMappedLoopback) {
  for (const char* ip : {"127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"})
    EXPECT_TRUE(IsLoopback(ip)) << ip;
  for (const char* ip : {"10.0.0.1", "192.168.1.127", "::2", "::ffff:10.0.0.1", "", "1127.0.0.1"}) {
    EXPECT_FALSE(IsLoopback(ip)) << ip;
  }
}

class ObservabilityTest : public ::testing::Test {
 protected:
  std::unique_ptr<Observability> Make(const std::string& metrics_access) {
    ObservabilityOptions options;
    options.audit = false;
    options.quotas = false;
    options.metrics_access = metrics_access;
    auto o = Observability::Create(options, "unused", "us-east-1", root_key_, random_, clock_);
    EXPECT_TRUE(o.ok()) << o.status().ToString();
    return std::move(*o);
  }
  crypto::OsRandom random_;
  rootkey::SoftwareRootKey root_key_{SecretBytes(Bytes(32, 1)), random_};
  FakeClock clock_{std::chrono::system_clock::from_time_t(1'800'000'000)};
};

TEST_F(ObservabilityTest, MetricsPageAnswersLoopbackOnlyByDefault) {
  auto o = Make("loopback");
  const RouterHooks hooks = o->Hooks();
  ASSERT_EQ(hooks.pages.size(), 1u);
  EXPECT_EQ(hooks.pages[0].path, "/metrics");
  auto [status, type, body] = hooks.pages[0].render("127.0.0.1");
  EXPECT_EQ(status, 200);
  EXPECT_EQ(type, "text/plain; version=0.0.4");
  EXPECT_NE(body.find("coffer_build_info"), std::string::npos);
  auto [denied, denied_type, denied_body] = hooks.pages[0].render("10.1.2.3");
  EXPECT_EQ(denied, 403);
  EXPECT_EQ(denied_body.find("coffer_"), std::string::npos);
}

TEST_F(ObservabilityTest, MetricsPageCanBeOpenedOrRemoved) {
  auto any = Make("any");
  EXPECT_EQ(std::get<0>(any->Hooks().pages.at(0).render("10.1.2.3")), 200);
  EXPECT_TRUE(Make("off")->Hooks().pages.empty());
}

TEST_F(ObservabilityTest, WithoutAuditThereIsNoWaiterAndNoCloudTrailFront) {
  auto o = Make("loopback");
  EXPECT_FALSE(static_cast<bool>(o->Waiter()));
  const RouterHooks hooks = o->Hooks();
  EXPECT_TRUE(hooks.fronts.empty());
  EXPECT_EQ(hooks.admission, nullptr);
  EXPECT_EQ(hooks.observers.size(), 1u);  // request metrics only
}

TEST_F(ObservabilityTest, ABadQuotaFileStopsStartup) {
  ObservabilityOptions options;
  options.audit = false;
  options.quota_config = "/nonexistent/coffer-quota.json";
  EXPECT_FALSE(Observability::Create(options, "unused", "us-east-1", root_key_, random_, clock_).ok());
}

}  // namespace
}  // namespace coffer::server
