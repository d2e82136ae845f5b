// S3's error vocabulary. S3 names errors by code ("NoSuchBucket") with its
// own HTTP status per code, unlike the JSON services' shared table; a Status
// carries the S3 code as its wire name (Status::Named) and the front looks the
// status up here. Generic codes (an auth failure from SigV4, a store outage)
// are mapped to S3's names for them.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace coffer::s3 {

struct S3ErrorInfo {
  std::string_view code;  // "NoSuchKey"
  int http_status = 400;
};

// A Status with an S3 error code. `code` must be a string literal (or
// otherwise outlive the Status).
Status S3Error(std::string_view code, std::string message);

// The S3 code and HTTP status a Status goes out under.
S3ErrorInfo S3ErrorFor(const Status& status);

// Frequent ones.
Status NoSuchBucket(std::string_view bucket);
Status NoSuchKey(std::string_view key);
Status NoSuchUpload(std::string_view upload_id);
Status InvalidArgument(std::string message);
Status InvalidRequest(std::string message);
Status MalformedXml();

}  // namespace coffer::s3
