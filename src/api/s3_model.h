// The AWS S3 service model compiled into the binary (REST routing needs the
// http traits and member locations of every operation). Generated at build
// time from third_party/aws-models/s3-2006-03-01.json, the unmodified
// botocore model (see SOURCE.md there).
#pragma once

#include <string_view>

namespace coffer::api {

// The botocore S3 2006-03-01 model (JSON text). Valid for the life of the program.
std::string_view EmbeddedS3Model();

}  // namespace coffer::api
