// Housekeeping of S3 storage outside any request: the lifecycle rule S3
// applies to incomplete multipart uploads, and recovery of blobs that no
// record names (a crash between a blob's commit and the record naming it,
// or between a record's removal and its blob's).
#pragma once

#include <chrono>

#include "common/status_or.h"
#include "s3/service.h"

namespace coffer::s3 {

// Aborts every multipart upload initiated more than `max_age` before the
// service clock's now: its upload and part records are deleted in one
// transaction, then its part blobs are removed. An upload completed or
// aborted meanwhile is left alone. Returns how many were aborted.
StatusOr<int> AbortStaleUploads(S3Service& s3, std::chrono::seconds max_age);

// Removes every committed blob that no object record (current or noncurrent
// version) and no part record names; returns how many. Meant for start-up,
// before requests are served: a blob committed by a request in flight has no
// record yet and would be taken for an orphan.
StatusOr<int> RemoveOrphanBlobs(S3Service& s3);

}  // namespace coffer::s3
