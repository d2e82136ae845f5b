// The last successful cryptographic use of each KMS key, as the trail records
// it (GetKeyLastUsage). Every request passes the trail, so uses seen while the
// process runs are recorded as they happen; a key not seen since start is
// looked up once in the trail file. Sharded so no lock is shared by all
// requests.
#pragma once

#include <array>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/clock.h"
#include "common/status_or.h"
#include "server/request_hooks.h"

namespace coffer::audit {

struct KeyUse {
  std::string operation;
  TimePoint time;
  std::string event_id;
  std::string request_id;
};

// True for the operations GetKeyLastUsage reports (KeyLastUsageTrackingOperation).
bool IsTrackedKeyUse(std::string_view operation);

class KeyUsageIndex {
 public:
  // `dir` holds the trail file; `now` is when tracking starts if it is empty.
  // Cluster mode: `shared_dir` holds every node's chain (dir is one of them);
  // LastUse then also reads the other nodes' files at every call, since their
  // uses never pass this process.
  KeyUsageIndex(std::filesystem::path dir, TimePoint now, std::filesystem::path shared_dir = {});

  // Records a successful tracked KMS request (others are ignored).
  void Observe(const server::RequestTrace& trace, std::string_view event_id);
  // The newest recorded use of `key_arn`.
  std::optional<KeyUse> LastUse(std::string_view key_arn);
  // The time of the trail's first record (or the index's creation).
  TimePoint TrackingStart() const { return tracking_start_; }

 private:
  struct Entry {
    std::optional<KeyUse> use;
    bool scanned = false;  // the trail file was read for this key
  };
  struct ArnHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view arn) const { return std::hash<std::string_view>{}(arn); }
  };
  struct Shard {
    std::mutex mu;
    std::unordered_map<std::string, Entry, ArnHash, std::equal_to<>> keys;
  };
  Shard& ShardFor(std::string_view key_arn);
  // Keeps the newer of the stored use and this one, updating the stored
  // strings in place (a key used again costs no allocation).
  void Record(std::string_view key_arn, std::string_view operation, TimePoint time, std::string_view event_id,
              std::string_view request_id);
  std::optional<KeyUse> OtherNodesLastUse(std::string_view key_arn) const;

  std::filesystem::path dir_;
  std::filesystem::path shared_dir_;
  TimePoint tracking_start_;
  std::array<Shard, 16> shards_;
};

}  // namespace coffer::audit
