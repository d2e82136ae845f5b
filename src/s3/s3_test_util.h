// Shared by the S3 tests: the error code a result goes out under, and
// hand-built requests.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "common/status_or.h"
#include "s3/errors.h"
#include "s3/service.h"

namespace coffer::s3::testing {

inline constexpr char kAccount[] = "111122223333";
inline constexpr char kOtherAccount[] = "444455556666";
inline constexpr char kRegion[] = "us-east-1";

// The S3 error code a status goes out under; empty when it is OK.
inline std::string CodeOf(const Status& status) {
  return status.ok() ? std::string() : std::string(S3ErrorFor(status).code);
}
template <typename T>
std::string CodeOf(const StatusOr<T>& result) {
  return result.ok() ? std::string() : CodeOf(result.status());
}

// A request of `account` (as root user) in us-east-1.
inline S3Request MakeRequest(std::string operation, std::string bucket, std::string key = "",
                             std::vector<auth::Header> headers = {}, std::string account = kAccount) {
  S3Request req;
  req.request_id = "REQ1";
  req.operation = std::move(operation);
  req.bucket = std::move(bucket);
  req.key = std::move(key);
  req.headers = std::move(headers);
  req.region = kRegion;
  req.account = account;
  req.who.caller.account = account;
  req.who.caller.arn = "arn:aws:iam::" + account + ":root";
  req.who.principal_type = "Account";
  return req;
}

}  // namespace coffer::s3::testing
