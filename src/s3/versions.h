// Object versions as S3 keeps them. The current version of a key is its
// s3_objects row (a delete marker included); older versions move to
// s3_versions under "bucket/key\0<order>", where <order> is 16 hex digits
// that sort newest first, so ListObjectVersions reads keys in order and each
// key's versions newest first without sorting. A bucket never versioned, or
// suspended, writes the "null" version, which replaces the previous null
// version wherever it is; an enabled bucket gives every write a new id
// (<order> followed by 8 random hex digits, so the id names its row).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "s3/records.h"
#include "s3/service.h"

namespace coffer::s3 {

std::string VersionRowKey(std::string_view bucket, std::string_view key, std::string_view order);
std::string VersionRowPrefix(std::string_view bucket, std::string_view key);

// Stamps `record` with its version id and order for the bucket's state,
// writes it as the current version, and keeps or drops the one it replaces.
// Returns the blobs no version refers to any more (removed after commit).
StatusOr<std::vector<BlobRef>> InstallVersion(S3Service& s3, store::Txn& txn, const BucketRecord& bucket,
                                              ObjectRecord& record);

// A version by id ("null" included); nullopt when there is none.
StatusOr<std::optional<ObjectRecord>> LoadVersion(store::Txn& txn, std::string_view bucket,
                                                  std::string_view key, std::string_view version_id);

struct DeleteOutcome {
  std::string version_id;  // of the version removed or the marker created; empty when nothing
  bool delete_marker = false;
  std::vector<BlobRef> unreferenced;
};

// DeleteObject: without a version id, removes the object (unversioned) or
// adds a delete marker (enabled, or "null" when suspended); with one,
// removes that version for good, promoting the newest older one if it was
// current.
StatusOr<DeleteOutcome> DeleteVersion(S3Service& s3, store::Txn& txn, const BucketRecord& bucket,
                                      std::string_view key, const std::string* version_id);

// Whether the bucket has ever had versioning configured (answers then carry
// x-amz-version-id).
inline bool Versioned(const BucketRecord& b) { return !b.versioning.empty(); }

}  // namespace coffer::s3
