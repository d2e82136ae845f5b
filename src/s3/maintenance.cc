#include "s3/maintenance.h"

#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "s3/records.h"

namespace coffer::s3 {
namespace {

// Rows read per Scan: the tables can be large, and a limit of 0 reads none.
constexpr std::size_t kPageRows = 1000;

// Tables whose rows are ObjectRecords naming blobs: a table left out here
// would have its blobs taken for orphans.
constexpr std::string_view kObjectRecordTables[] = {kObjectsTable, kVersionsTable};

// Calls `visit` on every row of `table`, a page at a time.
template <typename Visit>
Status ForEachRow(store::Txn& txn, std::string_view table, std::string_view prefix, Visit visit) {
  std::string after;
  for (;;) {
    ASSIGN_OR_RETURN(std::vector<store::Entry> rows, txn.Scan(table, prefix, after, kPageRows));
    for (const store::Entry& row : rows) RETURN_IF_ERROR(visit(row));
    if (rows.size() < kPageRows) return Status::Ok();
    after = rows.back().key;
  }
}

// Aborts the upload at `row` if it is still there and still older than
// `cutoff_ms`; returns whether it did.
StatusOr<bool> AbortIfStale(S3Service& s3, const std::string& row, std::int64_t cutoff_ms) {
  std::vector<BlobRef> blobs;
  {
    ASSIGN_OR_RETURN(auto txn, s3.store().BeginWrite());
    ASSIGN_OR_RETURN(std::optional<std::string> value, txn->Get(kUploadsTable, row));
    if (!value) return false;
    ASSIGN_OR_RETURN(UploadRecord upload, DecodeUpload(*value));
    if (upload.initiated_ms >= cutoff_ms) return false;
    std::vector<std::string> part_rows;
    RETURN_IF_ERROR(ForEachRow(*txn, kPartsTable, row + "/", [&](const store::Entry& e) -> Status {
      ASSIGN_OR_RETURN(PartRecord part, DecodePart(e.value));
      part_rows.push_back(e.key);
      blobs.push_back({part.blob, part.size});
      return Status::Ok();
    }));
    for (const std::string& part_row : part_rows) RETURN_IF_ERROR(txn->Delete(kPartsTable, part_row));
    RETURN_IF_ERROR(txn->Delete(kUploadsTable, row));
    RETURN_IF_ERROR(txn->Commit());
  }
  s3.RemoveBlobs(blobs);
  return true;
}

}  // namespace

StatusOr<int> AbortStaleUploads(S3Service& s3, std::chrono::seconds max_age) {
  const std::int64_t cutoff_ms =
      s3.NowMs() - std::chrono::duration_cast<std::chrono::milliseconds>(max_age).count();
  // Collect first, abort after: each abort is its own write transaction and
  // re-checks the upload, so a concurrent Complete or Abort wins cleanly.
  std::vector<std::string> stale;
  {
    ASSIGN_OR_RETURN(auto txn, s3.store().BeginRead());
    RETURN_IF_ERROR(ForEachRow(*txn, kUploadsTable, "", [&](const store::Entry& e) -> Status {
      ASSIGN_OR_RETURN(UploadRecord upload, DecodeUpload(e.value));
      if (upload.initiated_ms < cutoff_ms) stale.push_back(e.key);
      return Status::Ok();
    }));
  }
  int aborted = 0;
  for (const std::string& row : stale) {
    ASSIGN_OR_RETURN(bool done, AbortIfStale(s3, row, cutoff_ms));
    if (done) ++aborted;
  }
  return aborted;
}

StatusOr<int> RemoveOrphanBlobs(S3Service& s3) {
  // Blobs are listed before records are read, so a blob is only removed when
  // no record named it at a moment after it was committed.
  ASSIGN_OR_RETURN(std::vector<std::string> ids, s3.blobs().List());
  std::unordered_set<std::string> orphans(ids.begin(), ids.end());
  {
    ASSIGN_OR_RETURN(auto txn, s3.store().BeginRead());
    for (std::string_view table : kObjectRecordTables) {
      RETURN_IF_ERROR(ForEachRow(*txn, table, "", [&](const store::Entry& e) -> Status {
        ASSIGN_OR_RETURN(ObjectRecord object, DecodeObject(e.value));
        for (const BlobRef& part : object.parts) orphans.erase(part.blob);
        return Status::Ok();
      }));
    }
    RETURN_IF_ERROR(ForEachRow(*txn, kPartsTable, "", [&](const store::Entry& e) -> Status {
      ASSIGN_OR_RETURN(PartRecord part, DecodePart(e.value));
      orphans.erase(part.blob);
      return Status::Ok();
    }));
  }
  int removed = 0;
  for (const std::string& id : orphans) {
    RETURN_IF_ERROR(s3.blobs().Remove(id));
    ++removed;
  }
  return removed;
}

}  // namespace coffer::s3
