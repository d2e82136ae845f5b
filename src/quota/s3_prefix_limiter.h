// S3 request rates per partitioned prefix: AWS S3 answers SlowDown (503)
// past 3,500 PUT/COPY/POST/DELETE or 5,500 GET/HEAD requests per second per
// prefix. Coffer's partitioned prefix is the bucket plus the key's first
// path segment ("photos/2024/a.jpg" in bucket b -> "b/photos/"; a key
// without "/" and bucket operations -> "b/"); AWS partitions adaptively, a
// fixed rule is what a single server can state. One token bucket per
// (prefix, read|write), one second of its rate deep, on the injected Clock.
// The map is bounded: past `max_entries` idle buckets (full again, so no
// different from new ones) are dropped first, then the least recently used.
#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/clock.h"

namespace coffer::quota {

inline constexpr double kS3PrefixReadRate = 5500;
inline constexpr double kS3PrefixWriteRate = 3500;

// "bucket/first-segment/" or "bucket/".
std::string PartitionedPrefix(std::string_view bucket, std::string_view key);
// PUT (COPY included), POST and DELETE; GET and HEAD read.
bool IsS3Write(std::string_view method);

class S3PrefixLimiter {
 public:
  explicit S3PrefixLimiter(const Clock& clock, std::size_t max_entries = 100000)
      : clock_(clock), max_entries_(max_entries) {}

  // Takes one token of the prefix's read or write bucket at `rate` per second;
  // false when it is empty.
  bool TryTake(const std::string& prefix, bool write, double rate);
  std::size_t size() const;

 private:
  struct Bucket {
    double tokens = 0;
    double rate = 0;
    TimePoint updated;
  };
  void Evict(TimePoint now);

  const Clock& clock_;
  const std::size_t max_entries_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace coffer::quota
