// What the store keeps beside the key records so that work scales with what
// is asked, not with the number of keys: the sweeper's due index (keys with a
// deletion date, an imported-material ValidTo or a next rotation, in due
// order) and the number of keys in each key state (the coffer_kms_keys
// metric). KeyWriter updates both with every key it writes, in the same
// transaction.
//
// Tables (keys are the key store keys, "<region>/<account>/<key id>"):
//   key_index_of  store key -> "<state>\n<due entry>" (due entry may be empty)
//   key_due       "<due ms, 16 digits>/<store key>" -> ""
//   key_counts    state -> decimal count
//   key_index_meta "complete" once keys written before the index exist in it
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status_or.h"
#include "kms/key_record.h"
#include "store/store.h"

namespace coffer::kms {

// When the sweeper has work on the key (its deletion date, the ValidTo of its
// imported material, its next rotation), earliest first; nullopt: none.
std::optional<std::int64_t> SweepDueMs(const KeyRecord& record);

struct DueEntry {
  std::int64_t due_ms = 0;
  std::string store_key;
};

// The index updates of one write transaction.
class KeyIndexWriter {
 public:
  explicit KeyIndexWriter(store::Txn& txn) : txn_(&txn) {}

  // The key at `store_key` is now `record` (nullptr: deleted). A write that
  // changes neither state nor due time costs one read.
  Status Update(const std::string& store_key, const KeyRecord* record);
  // Up to `limit` due entries at or before `now_ms`, earliest first.
  StatusOr<std::vector<DueEntry>> DueBy(std::int64_t now_ms, std::size_t limit);
  // Writes the state counts changed by Update; before the transaction commits.
  Status Flush();

  // Whether the index holds every key; MarkComplete records that it does.
  StatusOr<bool> Complete();
  Status MarkComplete();
  // Empties the index (before it is built again from every key).
  Status Clear();

 private:
  store::Txn* txn_;
  std::map<std::string, std::int64_t, std::less<>> count_deltas_;
};

// Keys per key state, as the index counts them.
StatusOr<std::map<std::string, std::int64_t>> ReadKeyCounts(store::Txn& txn);

}  // namespace coffer::kms
