// Token-bucket request quotas per (account, region, quota group). A bucket
// holds at most one second of its rate and refills continuously from the
// injected Clock. Rates come from AWS's defaults, overridden per group for
// every account ("defaults") or for one account ("accounts").
//
// In a cluster each node admits its share of every rate: the configured rate
// divided by the live nodes (SetLiveNodes), never less than 1 request per
// second (or the configured rate when that is lower), so the nodes together
// admit about the configured rate when the load balancer spreads requests
// evenly (docs/operations.md, "Quotas in a cluster", for the error bound).
#pragma once

#include <array>
#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/clock.h"
#include "quota/s3_prefix_limiter.h"
#include "server/request_hooks.h"

namespace coffer::quota {

struct QuotaConfig {
  std::map<std::string, double, std::less<>> defaults;                         // group -> rate
  std::map<std::string, std::map<std::string, double, std::less<>>> accounts;  // account -> group -> rate
  // Per partitioned prefix (s3_prefix_limiter.h): {"s3_prefix": {"read": 5500, "write": 3500}}.
  std::optional<double> s3_prefix_read;
  std::optional<double> s3_prefix_write;

  // {"defaults": {"symmetric": 100}, "accounts": {"111122223333": {"CreateKey": 1}}};
  // kValidation naming an unknown group or a rate that is not a positive number.
  static StatusOr<QuotaConfig> FromJson(const nlohmann::json& doc);
  nlohmann::json ToJson() const;
  // `other`'s entries win.
  void Merge(const QuotaConfig& other);
};

struct BucketUsage {
  std::string account;
  std::string region;
  std::string group;
  double rate = 0;
  double available = 0;
};

class RateLimiter final : public server::Admission {
 public:
  explicit RateLimiter(const Clock& clock, QuotaConfig config = {});

  Status Admit(const server::Caller& caller, std::string_view region, std::string_view service,
               std::string_view operation, JsonView body) override;
  // Takes one token of `group` for the account; false when the bucket is empty.
  bool TryTake(std::string_view account, std::string_view region, std::string_view group);
  // New rates apply from the next request; buckets keep their fill level.
  void Configure(QuotaConfig config);
  // The configured rate (the whole cluster's), before this node's share.
  double RateFor(std::string_view account, std::string_view group) const;
  // Cluster mode: how many nodes share each rate, this one included (at
  // least 1). Applies from the next request; a bucket fuller than its new
  // capacity is cut down to it then.
  void SetLiveNodes(int nodes);
  int live_nodes() const { return live_nodes_.load(); }
  // This node's rate: `configured` / live nodes, floored at min(configured, 1).
  double ShareOf(double configured) const;
  std::vector<BucketUsage> Usage() const;
  // Throttled requests per group since start.
  std::map<std::string, std::uint64_t> Throttled() const;

  // Whether an account has a service's higher-throughput setting on (Parameter
  // Store's /ssm/parameter-store/high-throughput-enabled). Set before serving.
  using ThroughputProbe = std::function<bool(std::string_view account, std::string_view region)>;
  void SetHigherThroughputProbe(std::string service, ThroughputProbe probe);

 private:
  struct Bucket {
    double tokens = 0;
    double rate = 0;
    TimePoint updated;
  };
  struct Shard {
    mutable std::mutex mu;
    std::unordered_map<std::string, Bucket> buckets;  // "account/region/group"
  };
  Shard& ShardFor(const std::string& key);
  // S3 requests ("s3" with a body of bucket, key, method): the prefix quota.
  bool AdmitS3(JsonView body, std::string& out_group);

  const Clock& clock_;
  std::atomic<int> live_nodes_{1};
  std::map<std::string, ThroughputProbe, std::less<>> probes_;
  mutable std::mutex config_mu_;
  QuotaConfig config_;
  std::array<Shard, 16> shards_;
  S3PrefixLimiter s3_prefixes_;
  mutable std::mutex throttled_mu_;
  std::map<std::string, std::uint64_t> throttled_;
};

}  // namespace coffer::quota
