#include "metrics/registry.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace coffer::metrics {
namespace {

void AppendEscaped(const std::string& value, std::string& out) {
  for (char c : value) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

std::string FormatValue(double value) {
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.15g", value);
  if (std::strtod(buf, nullptr) != value) std::snprintf(buf, sizeof(buf), "%.17g", value);
  return buf;
}

}  // namespace

namespace {

void AppendLabels(const Labels& labels, std::string& out) {
  if (labels.empty()) return;
  out += '{';
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (i > 0) out += ',';
    out += labels[i].first;
    out += "=\"";
    AppendEscaped(labels[i].second, out);
    out += '"';
  }
  out += '}';
}

// The series key of `labels` in a buffer this thread reuses.
const std::string& SeriesKey(const Labels& labels) {
  thread_local std::string key;
  key.clear();
  AppendLabels(labels, key);
  return key;
}

}  // namespace

std::string FormatLabels(const Labels& labels) {
  std::size_t size = 2;
  for (const auto& [name, value] : labels) size += name.size() + value.size() + 4;
  std::string out;
  out.reserve(size);
  AppendLabels(labels, out);
  return out;
}

void AppendSample(std::string& out, const std::string& name, const Labels& labels, double value) {
  out += name + FormatLabels(labels) + " " + FormatValue(value) + "\n";
}

void AppendHeader(std::string& out, const std::string& name, const std::string& help,
                  const std::string& type) {
  out += "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

void CounterFamily::Add(const Labels& labels, double amount) {
  const std::string& key = SeriesKey(labels);
  std::lock_guard lock(mu_);
  auto it = values_.find(key);
  if (it == values_.end()) it = values_.emplace(key, 0.0).first;
  it->second += amount;
}

void CounterFamily::Render(std::string& out) const {
  AppendHeader(out, name_, help_, "counter");
  std::lock_guard lock(mu_);
  for (const auto& [labels, value] : values_) out += name_ + labels + " " + FormatValue(value) + "\n";
}

void HistogramFamily::Observe(const Labels& labels, double value) {
  const std::string& key = SeriesKey(labels);
  std::lock_guard lock(mu_);
  auto it = series_.find(key);
  const bool inserted = it == series_.end();
  if (inserted) it = series_.try_emplace(key).first;
  Series& s = it->second;
  if (inserted) {
    s.labels = labels;
    s.counts.assign(bounds_.size(), 0);
  }
  for (std::size_t i = 0; i < bounds_.size(); ++i) {
    if (value <= bounds_[i]) {
      ++s.counts[i];
      break;
    }
  }
  ++s.count;
  s.sum += value;
}

void HistogramFamily::Render(std::string& out) const {
  AppendHeader(out, name_, help_, "histogram");
  std::lock_guard lock(mu_);
  for (const auto& [key, s] : series_) {
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < bounds_.size(); ++i) {
      cumulative += s.counts[i];
      Labels with_le = s.labels;
      with_le.emplace_back("le", FormatValue(bounds_[i]));
      AppendSample(out, name_ + "_bucket", with_le, static_cast<double>(cumulative));
    }
    Labels inf = s.labels;
    inf.emplace_back("le", "+Inf");
    AppendSample(out, name_ + "_bucket", inf, static_cast<double>(s.count));
    AppendSample(out, name_ + "_sum", s.labels, s.sum);
    AppendSample(out, name_ + "_count", s.labels, static_cast<double>(s.count));
  }
}

std::vector<double> LatencyBuckets() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

CounterFamily& Registry::Counter(const std::string& name, const std::string& help) {
  std::lock_guard lock(mu_);
  counters_.push_back(std::make_unique<CounterFamily>(name, help));
  return *counters_.back();
}

HistogramFamily& Registry::Histogram(const std::string& name, const std::string& help,
                                     std::vector<double> bounds) {
  std::lock_guard lock(mu_);
  histograms_.push_back(std::make_unique<HistogramFamily>(name, help, std::move(bounds)));
  return *histograms_.back();
}

void Registry::AddCollector(std::function<void(std::string& out)> collector) {
  std::lock_guard lock(mu_);
  collectors_.push_back(std::move(collector));
}

std::string Registry::Render() const {
  std::string out;
  std::lock_guard lock(mu_);
  for (const auto& c : counters_) c->Render(out);
  for (const auto& h : histograms_) h->Render(out);
  for (const auto& collect : collectors_) collect(out);
  return out;
}

}  // namespace coffer::metrics
