#include "kms/key_index.h"

#include <algorithm>
#include <charconv>
#include <cstdio>

namespace coffer::kms {
namespace {

constexpr std::string_view kIndexOf = "key_index_of";
constexpr std::string_view kDue = "key_due";
constexpr std::string_view kCounts = "key_counts";
constexpr std::string_view kMeta = "key_index_meta";
constexpr std::string_view kComplete = "complete";
constexpr std::size_t kDueDigits = 16;
constexpr std::size_t kScanPage = 512;

struct Indexed {
  std::string state;  // "" when the key does not exist
  std::string due;    // its key_due entry, "" when none
  bool operator==(const Indexed&) const = default;
};

std::string DueKey(std::int64_t due_ms, std::string_view store_key) {
  char digits[24];  // room for any int64 (gcc checks the format against the buffer)
  std::snprintf(digits, sizeof digits, "%016lld", static_cast<long long>(std::max<std::int64_t>(due_ms, 0)));
  return std::string(digits, kDueDigits) + "/" + std::string(store_key);
}

std::optional<DueEntry> ParseDueKey(std::string_view text) {
  if (text.size() <= kDueDigits || text[kDueDigits] != '/') return std::nullopt;
  std::int64_t due = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + kDueDigits, due);
  if (ec != std::errc() || end != text.data() + kDueDigits) return std::nullopt;
  return DueEntry{due, std::string(text.substr(kDueDigits + 1))};
}

Indexed ParseIndexed(std::string_view text) {
  const auto newline = text.find('\n');
  if (newline == std::string_view::npos) return {std::string(text), ""};
  return {std::string(text.substr(0, newline)), std::string(text.substr(newline + 1))};
}

Indexed IndexedOf(const std::string& store_key, const KeyRecord* record) {
  if (record == nullptr) return {};
  const std::optional<std::int64_t> due = SweepDueMs(*record);
  return {record->state, due ? DueKey(*due, store_key) : ""};
}

StatusOr<std::int64_t> ParseCount(std::string_view text) {
  std::int64_t n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size()) return InternalError("malformed key count");
  return n;
}

}  // namespace

std::optional<std::int64_t> SweepDueMs(const KeyRecord& record) {
  std::optional<std::int64_t> due;
  const auto consider = [&due](std::int64_t at) { due = due ? std::min(*due, at) : at; };
  if (record.state == kStatePendingDeletion && record.deletion_ms) consider(*record.deletion_ms);
  if (record.origin == "EXTERNAL" && record.valid_to_ms && !record.versions.empty())
    consider(*record.valid_to_ms);
  if (record.rotation_enabled && record.state == kStateEnabled && record.next_rotation_ms > 0)
    consider(record.next_rotation_ms);
  return due;
}

Status KeyIndexWriter::Update(const std::string& store_key, const KeyRecord* record) {
  ASSIGN_OR_RETURN(auto stored, txn_->Get(kIndexOf, store_key));
  const Indexed was = stored ? ParseIndexed(*stored) : Indexed{};
  const Indexed now = IndexedOf(store_key, record);
  if (was == now) return Status::Ok();
  if (was.due != now.due) {
    if (!was.due.empty()) RETURN_IF_ERROR(txn_->Delete(kDue, was.due));
    if (!now.due.empty()) RETURN_IF_ERROR(txn_->Put(kDue, now.due, ""));
  }
  if (was.state != now.state) {
    if (!was.state.empty()) --count_deltas_[was.state];
    if (!now.state.empty()) ++count_deltas_[now.state];
  }
  if (now.state.empty()) return txn_->Delete(kIndexOf, store_key);
  return txn_->Put(kIndexOf, store_key, now.state + "\n" + now.due);
}

StatusOr<std::vector<DueEntry>> KeyIndexWriter::DueBy(std::int64_t now_ms, std::size_t limit) {
  // Bounded by `limit` (callers pass small ones): no paging needed.
  ASSIGN_OR_RETURN(auto rows, txn_->Scan(kDue, "", "", limit));
  std::vector<DueEntry> out;
  for (const auto& row : rows) {
    std::optional<DueEntry> entry = ParseDueKey(row.key);
    if (!entry) return InternalError("malformed key_due entry");
    if (entry->due_ms > now_ms) break;
    out.push_back(std::move(*entry));
  }
  return out;
}

Status KeyIndexWriter::Flush() {
  for (const auto& [state, delta] : count_deltas_) {
    if (delta == 0) continue;
    ASSIGN_OR_RETURN(auto stored, txn_->Get(kCounts, state));
    std::int64_t n = 0;
    if (stored) {
      ASSIGN_OR_RETURN(n, ParseCount(*stored));
    }
    RETURN_IF_ERROR(txn_->Put(kCounts, state, std::to_string(n + delta)));
  }
  count_deltas_.clear();
  return Status::Ok();
}

StatusOr<bool> KeyIndexWriter::Complete() {
  ASSIGN_OR_RETURN(auto marker, txn_->Get(kMeta, kComplete));
  return marker.has_value();
}

Status KeyIndexWriter::Clear() {
  for (std::string_view table : {kIndexOf, kDue, kCounts}) {
    while (true) {
      ASSIGN_OR_RETURN(auto rows, txn_->Scan(table, "", "", kScanPage));
      for (const auto& row : rows) RETURN_IF_ERROR(txn_->Delete(table, row.key));
      if (rows.size() < kScanPage) break;
    }
  }
  count_deltas_.clear();
  return Status::Ok();
}

Status KeyIndexWriter::MarkComplete() { return txn_->Put(kMeta, kComplete, "1"); }

StatusOr<std::map<std::string, std::int64_t>> ReadKeyCounts(store::Txn& txn) {
  ASSIGN_OR_RETURN(auto rows, txn.Scan(kCounts, "", "", kScanPage));
  std::map<std::string, std::int64_t> out;
  for (const auto& row : rows) {
    ASSIGN_OR_RETURN(out[row.key], ParseCount(row.value));
  }
  return out;
}

}  // namespace coffer::kms
