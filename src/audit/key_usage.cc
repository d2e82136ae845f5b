#include "audit/key_usage.h"

#include <array>
#include <fstream>

#include "audit/chain.h"
#include "audit/node_dirs.h"

namespace coffer::audit {
namespace {

using nlohmann::json;

constexpr std::array<std::string_view, 12> kTracked = {"Decrypt",
                                                       "DeriveSharedSecret",
                                                       "Encrypt",
                                                       "GenerateDataKey",
                                                       "GenerateDataKeyPair",
                                                       "GenerateDataKeyPairWithoutPlaintext",
                                                       "GenerateDataKeyWithoutPlaintext",
                                                       "GenerateMac",
                                                       "ReEncrypt",
                                                       "Sign",
                                                       "Verify",
                                                       "VerifyMac"};

bool IsKeyArn(std::string_view value) {
  return value.starts_with("arn:") && value.find(":key/") != std::string::npos;
}

// The first record's time: when this trail began recording.
std::optional<TimePoint> FirstRecordTime(const std::filesystem::path& dir) {
  std::ifstream in(dir / kEventsFile);
  std::string line;
  while (std::getline(in, line)) {
    auto record = ParseRecord(line);
    if (!record.ok()) continue;
    if (auto t = ParseIsoTime(record->event.value("eventTime", "")); t.ok()) return *t;
  }
  return std::nullopt;
}

bool NamesKey(const json& event, std::string_view key_arn) {
  for (const auto& r : event.value("resources", json::array())) {
    if (r.is_object() && r.value("ARN", "") == key_arn) return true;
  }
  return false;
}

std::optional<KeyUse> Newer(std::optional<KeyUse> a, std::optional<KeyUse> b) {
  if (!a) return b;
  return b && a->time < b->time ? b : a;
}

// The newest successful tracked KMS event naming the key in `dir`'s trail, in file order.
std::optional<KeyUse> ScanFile(const std::filesystem::path& dir, std::string_view key_arn) {
  std::optional<KeyUse> newest;
  std::ifstream in(dir / kEventsFile);
  std::string line;
  while (std::getline(in, line)) {
    if (line.find(key_arn) == std::string::npos) continue;  // cheap pre-filter
    auto record = ParseRecord(line);
    if (!record.ok()) continue;
    const json& e = record->event;
    if (e.value("eventSource", "") != "kms.amazonaws.com" || e.contains("errorCode")) continue;
    const std::string name = e.value("eventName", "");
    if (!IsTrackedKeyUse(name) || !NamesKey(e, key_arn)) continue;
    auto t = ParseIsoTime(e.value("eventTime", ""));
    if (!t.ok()) continue;
    newest = KeyUse{name, *t, e.value("eventID", ""), e.value("requestID", "")};
  }
  return newest;
}

}  // namespace

bool IsTrackedKeyUse(std::string_view operation) {
  for (auto name : kTracked) {
    if (name == operation) return true;
  }
  return false;
}

KeyUsageIndex::KeyUsageIndex(std::filesystem::path dir, TimePoint now, std::filesystem::path shared_dir)
    : dir_(std::move(dir)),
      shared_dir_(std::move(shared_dir)),
      tracking_start_(FirstRecordTime(dir_).value_or(now)) {}

KeyUsageIndex::Shard& KeyUsageIndex::ShardFor(std::string_view key_arn) {
  return shards_[std::hash<std::string_view>{}(key_arn) % shards_.size()];
}

void KeyUsageIndex::Record(std::string_view key_arn, std::string_view operation, TimePoint time,
                           std::string_view event_id, std::string_view request_id) {
  Shard& shard = ShardFor(key_arn);
  std::lock_guard lock(shard.mu);
  auto it = shard.keys.find(key_arn);
  if (it == shard.keys.end()) it = shard.keys.emplace(std::string(key_arn), Entry{}).first;
  std::optional<KeyUse>& stored = it->second.use;
  if (stored && stored->time > time) return;
  if (!stored) stored.emplace();
  stored->operation.assign(operation);
  stored->time = time;
  stored->event_id.assign(event_id);
  stored->request_id.assign(request_id);
}

void KeyUsageIndex::Observe(const server::RequestTrace& trace, std::string_view event_id) {
  if (!trace.status.ok() || trace.service != "kms" || !IsTrackedKeyUse(trace.operation) ||
      !trace.response.is_object()) {
    return;
  }
  for (const char* member : {"KeyId", "SourceKeyId"}) {
    const std::string_view arn = trace.response.string_member(member);
    if (IsKeyArn(arn)) Record(arn, trace.operation, trace.time, event_id, trace.request_id);
  }
}

std::optional<KeyUse> KeyUsageIndex::LastUse(std::string_view key_arn) {
  const std::optional<KeyUse> elsewhere = OtherNodesLastUse(key_arn);
  Shard& shard = ShardFor(key_arn);
  {
    std::lock_guard lock(shard.mu);
    auto it = shard.keys.find(key_arn);
    // A use seen live is newer than anything the file held when this process started.
    if (it != shard.keys.end() && (it->second.scanned || it->second.use))
      return Newer(it->second.use, elsewhere);
  }
  std::optional<KeyUse> from_file = ScanFile(dir_, key_arn);
  std::lock_guard lock(shard.mu);
  Entry& entry = shard.keys[std::string(key_arn)];
  entry.use = Newer(entry.use, from_file);
  entry.scanned = true;
  return Newer(entry.use, elsewhere);
}

std::optional<KeyUse> KeyUsageIndex::OtherNodesLastUse(std::string_view key_arn) const {
  std::optional<KeyUse> newest;
  if (shared_dir_.empty()) return newest;
  for (const NodeDir& node : ListNodeDirs(shared_dir_)) {
    if (node.dir.filename() != dir_.filename()) newest = Newer(newest, ScanFile(node.dir, key_arn));
  }
  return newest;
}

}  // namespace coffer::audit
