// `coffer s3 reencrypt --endpoint URL --bucket B [--prefix P] --to aws:kms
// --key K [--state FILE] [--report FILE]`: as an S3 client (SigV4 with the
// usual AWS credentials: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, or
// --profile in the shared credentials file), lists the bucket and copies each
// object onto itself with the new encryption (x-amz-metadata-directive COPY),
// skipping objects already encrypted that way. Resumable: the state file
// holds the last key done and a rerun starts after it. A progress line on a
// TTY; the report (JSON lines) says what changed per object. Exit 0 when every
// object was done, 1 otherwise.
#pragma once

#include <string>

namespace coffer::cli {

struct ReencryptArgs {
  std::string endpoint;
  std::string bucket;
  std::string prefix;
  std::string to = "aws:kms";  // AES256 | aws:kms | aws:kms:dsse
  std::string key;             // KMS key id, ARN or alias; empty: the AWS managed key
  std::string state_file;
  std::string report_file;
  std::string region;
  std::string profile;
  std::string ca_bundle;
};

int RunS3Reencrypt(const ReencryptArgs& args);

}  // namespace coffer::cli
