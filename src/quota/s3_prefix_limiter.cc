#include "quota/s3_prefix_limiter.h"

#include <algorithm>

namespace coffer::quota {
namespace {

double Seconds(TimePoint from, TimePoint to) {
  return std::max(0.0, std::chrono::duration<double>(to - from).count());
}

double Capacity(double rate) { return std::max(rate, 1.0); }

}  // namespace

std::string PartitionedPrefix(std::string_view bucket, std::string_view key) {
  const std::size_t slash = key.find('/');
  std::string out(bucket);
  out += '/';
  if (slash != std::string_view::npos) out.append(key.substr(0, slash + 1));
  return out;
}

bool IsS3Write(std::string_view method) { return method == "PUT" || method == "POST" || method == "DELETE"; }

bool S3PrefixLimiter::TryTake(const std::string& prefix, bool write, double rate) {
  if (rate <= 0) return true;
  const std::string key = prefix + (write ? "#write" : "#read");
  const TimePoint now = clock_.Now();
  std::lock_guard lock(mu_);
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_entries_) Evict(now);
    it = buckets_.emplace(key, Bucket{Capacity(rate), rate, now}).first;
  }
  Bucket& b = it->second;
  b.tokens = std::min(Capacity(rate), b.tokens + Seconds(b.updated, now) * rate);
  b.rate = rate;
  b.updated = now;
  if (b.tokens < 1.0) return false;
  b.tokens -= 1.0;
  return true;
}

void S3PrefixLimiter::Evict(TimePoint now) {
  std::erase_if(buckets_, [now](const auto& entry) {
    const Bucket& b = entry.second;
    return b.tokens + Seconds(b.updated, now) * b.rate >= Capacity(b.rate);
  });
  if (buckets_.size() < max_entries_) return;
  const auto oldest = std::min_element(buckets_.begin(), buckets_.end(), [](const auto& a, const auto& b) {
    return a.second.updated < b.second.updated;
  });
  buckets_.erase(oldest);
}

std::size_t S3PrefixLimiter::size() const {
  std::lock_guard lock(mu_);
  return buckets_.size();
}

}  // namespace coffer::quota
