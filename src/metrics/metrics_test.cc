// Prometheus text exposition of counters, histograms and collectors, the
// request observer's labels, and the access log's line (no bodies).
#include <gtest/gtest.h>

#include "metrics/registry.h"
#include "metrics/request_metrics.h"

namespace coffer::metrics {
namespace {

using nlohmann::json;

TEST(Registry, RendersCountersWithHelpTypeAndEscapedLabels) {
  Registry r;
  auto& c = r.Counter("x_total", "Things.");
  c.Add({{"op", "a\"b"}});
  c.Add({{"op", "a\"b"}}, 2);
  const std::string text = r.Render();
  EXPECT_NE(text.find("# HELP x_total Things.\n# TYPE x_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("x_total{op=\"a\\\"b\"} 3\n"), std::string::npos);
}

TEST(Registry, RendersCumulativeHistogramBuckets) {
  Registry r;
  auto& h = r.Histogram("lat_seconds", "Latency.", {0.1, 1});
  h.Observe({{"op", "E"}}, 0.05);
  h.Observe({{"op", "E"}}, 0.5);
  h.Observe({{"op", "E"}}, 5);
  const std::string text = r.Render();
  EXPECT_NE(text.find("# TYPE lat_seconds histogram"), std::string::npos);
  EXPECT_NE(text.find("lat_seconds_bucket{op=\"E\",le=\"0.1\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("lat_seconds_bucket{op=\"E\",le=\"1\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("lat_seconds_bucket{op=\"E\",le=\"+Inf\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("lat_seconds_count{op=\"E\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("lat_seconds_sum{op=\"E\"} 5.5"), std::string::npos);
}

TEST(Registry, CollectorsRunAtScrapeTime) {
  Registry r;
  int value = 1;
  r.AddCollector([&](std::string& out) {
    AppendHeader(out, "g", "A gauge.", "gauge");
    AppendSample(out, "g", {}, value);
  });
  EXPECT_NE(r.Render().find("g 1\n"), std::string::npos);
  value = 7;
  EXPECT_NE(r.Render().find("g 7\n"), std::string::npos);
}

server::RequestTrace Trace(Status status, int http) {
  server::RequestTrace t;
  t.request_id = "r1";
  t.service = "kms";
  t.operation = "Encrypt";
  t.caller.arn = "arn:aws:iam::111122223333:user/alice";
  t.status = std::move(status);
  t.http_status = http;
  t.latency = std::chrono::milliseconds(3);
  return t;
}

TEST(RequestMetrics, CountsByOutcomeAndThrottles) {
  Registry r;
  RequestMetrics m(r);
  EXPECT_EQ(m.Observe(Trace(Status::Ok(), 200)), 0u);
  m.Observe(Trace(Status(ErrorCode::kThrottling, "slow down"), 400));
  m.Observe(Trace(Status(ErrorCode::kNotFound, "no"), 400));
  m.Observe(Trace(Status(ErrorCode::kInternal, "bad"), 500));
  m.Observe(Trace(Status(ErrorCode::kAccessDenied, "no"), 400));
  const std::string text = r.Render();
  for (const char* outcome : {"success", "throttled", "client_error", "server_error", "denied"}) {
    EXPECT_NE(text.find("coffer_requests_total{service=\"kms\",operation=\"Encrypt\",outcome=\"" +
                        std::string(outcome) + "\"} 1\n"),
              std::string::npos)
        << outcome;
  }
  EXPECT_NE(text.find("coffer_throttled_requests_total{service=\"kms\",operation=\"Encrypt\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("coffer_request_duration_seconds_count{service=\"kms\",operation=\"Encrypt\"} 5\n"),
            std::string::npos);
}

TEST(AccessLog, OneJsonLineWithoutBodies) {
  const json body = {{"Plaintext", "c2VjcmV0"}};
  server::RequestTrace t = Trace(Status(ErrorCode::kNotFound, "no"), 400);
  t.request = &body;
  const std::string line = AccessLog::Line(t);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  const json parsed = json::parse(line);
  EXPECT_EQ(parsed["requestId"], "r1");
  EXPECT_EQ(parsed["principal"], "arn:aws:iam::111122223333:user/alice");
  EXPECT_EQ(parsed["operation"], "Encrypt");
  EXPECT_EQ(parsed["status"], 400);
  EXPECT_EQ(parsed["errorCode"], "NotFoundException");
  EXPECT_DOUBLE_EQ(parsed["latencyMs"].get<double>(), 3.0);
  EXPECT_EQ(line.find("c2VjcmV0"), std::string::npos);
}

}  // namespace
}  // namespace coffer::metrics
