// A small Prometheus registry (text exposition format 0.0.4): labelled
// counters and histograms updated on the request path with atomics, plus
// collectors that append values computed at scrape time (gauges such as
// queue depth or keys by state). prometheus-cpp is not packaged in Debian 12.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace coffer::metrics {

using Labels = std::vector<std::pair<std::string, std::string>>;

// `{a="x",b="y"}` with Prometheus escaping; empty for no labels.
std::string FormatLabels(const Labels& labels);
// One sample line: name{labels} value.
void AppendSample(std::string& out, const std::string& name, const Labels& labels, double value);
// # HELP / # TYPE header lines.
void AppendHeader(std::string& out, const std::string& name, const std::string& help,
                  const std::string& type);

class CounterFamily {
 public:
  CounterFamily(std::string name, std::string help) : name_(std::move(name)), help_(std::move(help)) {}
  void Add(const Labels& labels, double amount = 1);
  void Render(std::string& out) const;

 private:
  std::string name_;
  std::string help_;
  mutable std::mutex mu_;
  std::map<std::string, double> values_;  // formatted labels -> value
};

class HistogramFamily {
 public:
  HistogramFamily(std::string name, std::string help, std::vector<double> bounds)
      : name_(std::move(name)), help_(std::move(help)), bounds_(std::move(bounds)) {}
  void Observe(const Labels& labels, double value);
  void Render(std::string& out) const;

 private:
  struct Series {
    Labels labels;
    std::vector<std::uint64_t> counts;  // per bucket (not cumulative)
    std::uint64_t count = 0;
    double sum = 0;
  };
  std::string name_;
  std::string help_;
  std::vector<double> bounds_;
  mutable std::mutex mu_;
  std::map<std::string, Series> series_;
};

// Latency buckets in seconds, 100 µs to 10 s.
std::vector<double> LatencyBuckets();

class Registry {
 public:
  CounterFamily& Counter(const std::string& name, const std::string& help);
  HistogramFamily& Histogram(const std::string& name, const std::string& help, std::vector<double> bounds);
  // Appends complete families (header + samples) at scrape time.
  void AddCollector(std::function<void(std::string& out)> collector);
  std::string Render() const;

 private:
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<CounterFamily>> counters_;
  std::vector<std::unique_ptr<HistogramFamily>> histograms_;
  std::vector<std::function<void(std::string&)>> collectors_;
};

}  // namespace coffer::metrics
