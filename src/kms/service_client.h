// KMS as the other services of this server (Secrets Manager, Parameter Store,
// S3) call it on their caller's behalf. As on AWS, the caller's own identity,
// key policy, IAM policies and grants decide, with the condition key
// kms:ViaService = "<service>.<region>.amazonaws.com" added, which is what the
// AWS managed keys' policies (alias/aws/<service>) require. The plaintext data
// keys returned here are SecretBytes; nothing here logs or echoes them.
#pragma once

#include <string>
#include <string_view>

#include "common/bytes.h"
#include "common/secret_bytes.h"
#include "common/status_or.h"
#include "kms/ciphertext.h"
#include "kms/service.h"
#include "policy/identity_source.h"

namespace coffer::kms {

// Who a service call is for, and which service makes it.
struct ViaService {
  std::string service;  // signing name of the calling service: "secretsmanager", "ssm", "s3"
  std::string account;  // the caller's account
  std::string region;   // the request's region
  std::string principal_arn;
  policy::CallerInfo who;  // the original caller, as the router built it
};

struct ServiceDataKey {
  SecretBytes plaintext;  // 32 bytes (AES_256)
  Bytes ciphertext_blob;  // KMS ciphertext of the data key
  std::string key_arn;    // the key that made it
};

class ServiceKms {
 public:
  explicit ServiceKms(KmsService& kms) : kms_(kms) {}

  // GenerateDataKey (AES_256) under `key_id`: key id, key ARN, alias name or
  // alias ARN; "alias/aws/<service>" is created on first use. Authorized as
  // kms:GenerateDataKey for the caller.
  StatusOr<ServiceDataKey> GenerateDataKey(const ViaService& via, std::string_view key_id,
                                           const EncryptionContext& context);
  // Decrypt of a symmetric blob made under `key_id` (may be empty: the key
  // named in the blob). Authorized as kms:Decrypt for the caller.
  StatusOr<SecretBytes> Decrypt(const ViaService& via, ByteView blob, const EncryptionContext& context,
                                std::string_view key_id = {});
  // Encrypt (at most 4096 bytes) under `key_id`; returns the blob.
  StatusOr<Bytes> Encrypt(const ViaService& via, std::string_view key_id, const EncryptionContext& context,
                          ByteView plaintext);
  // The ARN of the key `key_id` names, authorized as kms:DescribeKey.
  StatusOr<std::string> DescribeKeyArn(const ViaService& via, std::string_view key_id);

 private:
  KmsService& kms_;
};

}  // namespace coffer::kms
