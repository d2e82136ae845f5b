#include "s3/versions.h"

#include <algorithm>
#include <atomic>
#include <cstdio>

#include "common/encoding.h"
#include "s3/errors.h"

namespace coffer::s3 {
namespace {

// Newer writes get smaller orders: a stamp of the millisecond clock (12 bits
// below it for writes in the same millisecond), inverted. Stamps only grow
// within a process, so a frozen or stepped-back clock still orders writes
// and never repeats one.
std::string NewOrder(S3Service& s3) {
  static std::atomic<std::uint64_t> last{0};
  const std::uint64_t from_clock = static_cast<std::uint64_t>(s3.NowMs()) << 12;
  std::uint64_t previous = last.load(std::memory_order_relaxed);
  std::uint64_t stamp = 0;
  do {
    stamp = std::max(from_clock, previous + 1);
  } while (!last.compare_exchange_weak(previous, stamp, std::memory_order_relaxed));
  char out[17];
  std::snprintf(out, sizeof(out), "%016llx", static_cast<unsigned long long>(~stamp));
  return out;
}

StatusOr<std::string> NewVersionId(S3Service& s3, const std::string& order) {
  std::uint8_t raw[4] = {};
  RETURN_IF_ERROR(s3.random().Fill(raw));
  return order + HexEncode(ByteView(raw, sizeof(raw)));
}

bool IsOrder(std::string_view s) {
  return s.size() == 16 && std::all_of(s.begin(), s.end(), [](char c) {
           return std::isxdigit(static_cast<unsigned char>(c)) != 0;
         });
}

// The noncurrent null version of a key, if any (at most one exists).
StatusOr<std::optional<ObjectRecord>> FindNullVersion(store::Txn& txn, std::string_view bucket,
                                                      std::string_view key) {
  std::string after;
  for (;;) {
    ASSIGN_OR_RETURN(auto rows, txn.Scan(kVersionsTable, VersionRowPrefix(bucket, key), after, 256));
    for (const auto& row : rows) {
      ASSIGN_OR_RETURN(ObjectRecord r, DecodeObject(row.value));
      if (r.version_id == "null") return std::optional<ObjectRecord>(std::move(r));
    }
    if (rows.size() < 256) return std::optional<ObjectRecord>();
    after = rows.back().key;
  }
}

Status Demote(store::Txn& txn, const ObjectRecord& current) {
  return txn.Put(kVersionsTable, VersionRowKey(current.bucket, current.key, current.order),
                 EncodeObject(current));
}

// Removes the key's null version wherever it is (it is being replaced).
StatusOr<std::vector<BlobRef>> DropNullVersion(store::Txn& txn, std::string_view bucket,
                                               std::string_view key) {
  ASSIGN_OR_RETURN(std::optional<ObjectRecord> old, FindNullVersion(txn, bucket, key));
  if (!old) return std::vector<BlobRef>{};
  RETURN_IF_ERROR(txn.Delete(kVersionsTable, VersionRowKey(bucket, key, old->order)));
  return old->parts;
}

}  // namespace

std::string VersionRowPrefix(std::string_view bucket, std::string_view key) {
  std::string out = ObjectRowKey(bucket, key);
  out.push_back('\0');
  return out;
}

std::string VersionRowKey(std::string_view bucket, std::string_view key, std::string_view order) {
  return VersionRowPrefix(bucket, key) + std::string(order);
}

StatusOr<std::vector<BlobRef>> InstallVersion(S3Service& s3, store::Txn& txn, const BucketRecord& bucket,
                                              ObjectRecord& record) {
  record.order = NewOrder(s3);
  const bool enabled = bucket.versioning == "Enabled";
  if (enabled) {
    ASSIGN_OR_RETURN(record.version_id, NewVersionId(s3, record.order));
  } else {
    record.version_id = "null";
  }
  std::vector<BlobRef> unreferenced;
  ASSIGN_OR_RETURN(std::optional<ObjectRecord> current, LoadObject(txn, record.bucket, record.key));
  if (current) {
    if (current->version_id == "null" && !enabled) {
      unreferenced = current->parts;  // the null version is replaced
    } else if (Versioned(bucket)) {
      RETURN_IF_ERROR(Demote(txn, *current));
    } else {
      unreferenced = current->parts;
    }
  }
  if (!enabled && Versioned(bucket)) {
    ASSIGN_OR_RETURN(std::vector<BlobRef> dropped, DropNullVersion(txn, record.bucket, record.key));
    unreferenced.insert(unreferenced.end(), dropped.begin(), dropped.end());
  }
  RETURN_IF_ERROR(txn.Put(kObjectsTable, ObjectRowKey(record.bucket, record.key), EncodeObject(record)));
  return unreferenced;
}

StatusOr<std::optional<ObjectRecord>> LoadVersion(store::Txn& txn, std::string_view bucket,
                                                  std::string_view key, std::string_view version_id) {
  ASSIGN_OR_RETURN(std::optional<ObjectRecord> current, LoadObject(txn, bucket, key));
  if (current && current->version_id == version_id) return current;
  if (version_id == "null") return FindNullVersion(txn, bucket, key);
  if (version_id.size() < 16 || !IsOrder(version_id.substr(0, 16))) {
    return InvalidArgument("Invalid version id specified");
  }
  ASSIGN_OR_RETURN(auto raw, txn.Get(kVersionsTable, VersionRowKey(bucket, key, version_id.substr(0, 16))));
  if (!raw) return std::optional<ObjectRecord>();
  ASSIGN_OR_RETURN(ObjectRecord r, DecodeObject(*raw));
  if (r.version_id != version_id) return std::optional<ObjectRecord>();
  return std::optional<ObjectRecord>(std::move(r));
}

namespace {

// After the current version is removed for good, the newest older one (if
// any) becomes current.
Status PromoteNewest(store::Txn& txn, std::string_view bucket, std::string_view key) {
  ASSIGN_OR_RETURN(auto rows, txn.Scan(kVersionsTable, VersionRowPrefix(bucket, key), "", 1));
  if (rows.empty()) return txn.Delete(kObjectsTable, ObjectRowKey(bucket, key));
  RETURN_IF_ERROR(txn.Delete(kVersionsTable, rows.front().key));
  return txn.Put(kObjectsTable, ObjectRowKey(bucket, key), rows.front().value);
}

StatusOr<DeleteOutcome> DeleteOneVersion(store::Txn& txn, const BucketRecord& bucket, std::string_view key,
                                         const std::string& version_id) {
  DeleteOutcome out;
  ASSIGN_OR_RETURN(std::optional<ObjectRecord> current, LoadObject(txn, bucket.name, key));
  ASSIGN_OR_RETURN(std::optional<ObjectRecord> target, LoadVersion(txn, bucket.name, key, version_id));
  out.version_id = version_id;
  if (!target) return out;  // deleting a version that does not exist succeeds, as S3
  out.delete_marker = target->delete_marker;
  out.unreferenced = target->parts;
  if (current && current->order == target->order) {
    RETURN_IF_ERROR(PromoteNewest(txn, bucket.name, key));
  } else {
    RETURN_IF_ERROR(txn.Delete(kVersionsTable, VersionRowKey(bucket.name, key, target->order)));
  }
  return out;
}

}  // namespace

StatusOr<DeleteOutcome> DeleteVersion(S3Service& s3, store::Txn& txn, const BucketRecord& bucket,
                                      std::string_view key, const std::string* version_id) {
  if (version_id != nullptr) return DeleteOneVersion(txn, bucket, key, *version_id);
  DeleteOutcome out;
  if (!Versioned(bucket)) {
    ASSIGN_OR_RETURN(std::optional<ObjectRecord> current, LoadObject(txn, bucket.name, key));
    if (!current) return out;
    RETURN_IF_ERROR(txn.Delete(kObjectsTable, ObjectRowKey(bucket.name, key)));
    out.unreferenced = current->parts;
    return out;
  }
  ObjectRecord marker;
  marker.bucket = bucket.name;
  marker.key = std::string(key);
  marker.delete_marker = true;
  marker.last_modified_ms = s3.NowMs();
  ASSIGN_OR_RETURN(out.unreferenced, InstallVersion(s3, txn, bucket, marker));
  out.version_id = marker.version_id;
  out.delete_marker = true;
  return out;
}

}  // namespace coffer::s3
