#include "quota/rate_limiter.h"

#include <algorithm>
#include <functional>

#include "quota/quota_groups.h"

namespace coffer::quota {
namespace {

using nlohmann::json;

Status ReadRates(const json& doc, const std::string& where, std::map<std::string, double, std::less<>>& out) {
  if (!doc.is_object()) return ValidationError(where + " must be an object of group: rate");
  for (const auto& [group, rate] : doc.items()) {
    if (!DefaultRates().contains(group))
      return ValidationError("unknown quota group '" + group + "' in " + where);
    if (!rate.is_number() || rate.get<double>() <= 0) {
      return ValidationError("quota " + where + "." + group + " must be a positive number");
    }
    out[group] = rate.get<double>();
  }
  return Status::Ok();
}

Status ReadS3PrefixRates(const json& doc, QuotaConfig& config) {
  if (!doc.is_object()) return ValidationError("s3_prefix must be an object of read/write: rate");
  for (const auto& [name, rate] : doc.items()) {
    if (name != "read" && name != "write") return ValidationError("unknown s3_prefix setting '" + name + "'");
    if (!rate.is_number() || rate.get<double>() <= 0) {
      return ValidationError("quota s3_prefix." + name + " must be a positive number");
    }
    (name == "read" ? config.s3_prefix_read : config.s3_prefix_write) = rate.get<double>();
  }
  return Status::Ok();
}

std::string ThrottleMessage(std::string_view service) {
  if (service == "kms") {
    return "You have exceeded the rate at which you may call KMS. Reduce the frequency of your calls.";
  }
  if (service == "s3") return "Please reduce your request rate.";
  return "Rate exceeded";
}

}  // namespace

StatusOr<QuotaConfig> QuotaConfig::FromJson(const json& doc) {
  QuotaConfig config;
  if (!doc.is_object()) return ValidationError("quota configuration must be a JSON object");
  for (const auto& [name, value] : doc.items()) {
    if (name != "defaults" && name != "accounts" && name != "s3_prefix")
      return ValidationError("unknown quota setting '" + name + "'");
  }
  if (doc.contains("defaults")) RETURN_IF_ERROR(ReadRates(doc["defaults"], "defaults", config.defaults));
  if (doc.contains("s3_prefix")) RETURN_IF_ERROR(ReadS3PrefixRates(doc["s3_prefix"], config));
  if (doc.contains("accounts")) {
    if (!doc["accounts"].is_object())
      return ValidationError("accounts must be an object of account id: rates");
    for (const auto& [account, rates] : doc["accounts"].items()) {
      RETURN_IF_ERROR(ReadRates(rates, "accounts." + account, config.accounts[account]));
    }
  }
  return config;
}

json QuotaConfig::ToJson() const {
  json accounts_json = json::object();
  for (const auto& [account, rates] : accounts) accounts_json[account] = rates;
  json out = {{"defaults", defaults}, {"accounts", accounts_json}};
  if (s3_prefix_read) out["s3_prefix"]["read"] = *s3_prefix_read;
  if (s3_prefix_write) out["s3_prefix"]["write"] = *s3_prefix_write;
  return out;
}

void QuotaConfig::Merge(const QuotaConfig& other) {
  for (const auto& [group, rate] : other.defaults) defaults[group] = rate;
  if (other.s3_prefix_read) s3_prefix_read = other.s3_prefix_read;
  if (other.s3_prefix_write) s3_prefix_write = other.s3_prefix_write;
  for (const auto& [account, rates] : other.accounts) {
    for (const auto& [group, rate] : rates) accounts[account][group] = rate;
  }
}

RateLimiter::RateLimiter(const Clock& clock, QuotaConfig config)
    : clock_(clock), config_(std::move(config)), s3_prefixes_(clock) {}

void RateLimiter::Configure(QuotaConfig config) {
  std::lock_guard lock(config_mu_);
  config_ = std::move(config);
}

double RateLimiter::RateFor(std::string_view account, std::string_view group) const {
  std::lock_guard lock(config_mu_);
  if (auto acct = config_.accounts.find(std::string(account)); acct != config_.accounts.end()) {
    if (auto it = acct->second.find(group); it != acct->second.end()) return it->second;
  }
  if (auto it = config_.defaults.find(group); it != config_.defaults.end()) return it->second;
  const auto& defaults = DefaultRates();
  const auto it = defaults.find(group);
  return it == defaults.end() ? 0 : it->second;
}

void RateLimiter::SetLiveNodes(int nodes) { live_nodes_.store(std::max(nodes, 1)); }

double RateLimiter::ShareOf(double configured) const {
  const int nodes = live_nodes_.load();
  if (nodes <= 1) return configured;
  return std::max(configured / nodes, std::min(configured, 1.0));
}

RateLimiter::Shard& RateLimiter::ShardFor(const std::string& key) {
  return shards_[std::hash<std::string>{}(key) % shards_.size()];
}

bool RateLimiter::TryTake(std::string_view account, std::string_view region, std::string_view group) {
  const double rate = ShareOf(RateFor(account, group));
  if (rate <= 0) return true;  // a group without a quota
  const std::string key = std::string(account) + "/" + std::string(region) + "/" + std::string(group);
  const TimePoint now = clock_.Now();
  Shard& shard = ShardFor(key);
  std::lock_guard lock(shard.mu);
  auto [it, inserted] = shard.buckets.try_emplace(key, Bucket{rate, rate, now});
  Bucket& b = it->second;
  const double elapsed = std::max(0.0, std::chrono::duration<double>(now - b.updated).count());
  // Burst capacity is one second of the rate (at least one request).
  const double capacity = std::max(rate, 1.0);
  b.tokens = std::min(capacity, b.tokens + elapsed * rate);
  b.rate = rate;
  b.updated = now;
  if (b.tokens < 1.0) return false;
  b.tokens -= 1.0;
  return true;
}

Status RateLimiter::Admit(const server::Caller& caller, std::string_view region, std::string_view service,
                          std::string_view operation, JsonView body) {
  std::string group;
  if (service == "s3") {
    if (AdmitS3(body, group)) return Status::Ok();
  } else {
    const auto probe = probes_.find(service);
    const bool higher = probe != probes_.end() && probe->second(caller.account_id, region);
    group = GroupFor(service, operation, body, higher);
    if (group.empty() || TryTake(caller.account_id, region, group)) return Status::Ok();
  }
  {
    std::lock_guard lock(throttled_mu_);
    ++throttled_[group];
  }
  return Status(ErrorCode::kThrottling, ThrottleMessage(service));
}

bool RateLimiter::AdmitS3(JsonView body, std::string& out_group) {
  const std::string_view bucket = body.string_member("bucket");
  if (bucket.empty()) return true;
  const std::string_view key = body.string_member("key");
  const bool write = IsS3Write(body.string_member("method"));
  double rate = 0;
  {
    std::lock_guard lock(config_mu_);
    rate = write ? config_.s3_prefix_write.value_or(kS3PrefixWriteRate)
                 : config_.s3_prefix_read.value_or(kS3PrefixReadRate);
  }
  out_group = write ? "s3:prefix-write" : "s3:prefix-read";
  return s3_prefixes_.TryTake(PartitionedPrefix(bucket, key), write, ShareOf(rate));
}

std::vector<BucketUsage> RateLimiter::Usage() const {
  std::vector<BucketUsage> out;
  const TimePoint now = clock_.Now();
  for (const Shard& shard : shards_) {
    std::lock_guard lock(shard.mu);
    for (const auto& [key, b] : shard.buckets) {
      const auto first = key.find('/');
      const auto second = key.find('/', first + 1);
      const double elapsed = std::max(0.0, std::chrono::duration<double>(now - b.updated).count());
      out.push_back(BucketUsage{key.substr(0, first), key.substr(first + 1, second - first - 1),
                                key.substr(second + 1), b.rate,
                                std::min(std::max(b.rate, 1.0), b.tokens + elapsed * b.rate)});
    }
  }
  return out;
}

void RateLimiter::SetHigherThroughputProbe(std::string service, ThroughputProbe probe) {
  probes_[std::move(service)] = std::move(probe);
}

std::map<std::string, std::uint64_t> RateLimiter::Throttled() const {
  std::lock_guard lock(throttled_mu_);
  return throttled_;
}

}  // namespace coffer::quota
