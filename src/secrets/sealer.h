// Envelope encryption of secret values, as Secrets Manager does it: a fresh
// AES-256 data key per version from KMS GenerateDataKey (on the caller's
// behalf, kms:ViaService = secretsmanager.<region>.amazonaws.com), encryption
// context {"SecretARN": arn, "SecretVersionId": version}, the value sealed with
// AES-256-GCM under it, only the KMS-wrapped data key stored. Values and data
// keys never leave this file except to the caller.
#pragma once

#include <string>
#include <string_view>

#include "common/random.h"
#include "kms/service_client.h"
#include "secrets/record.h"

namespace coffer::secrets {

inline constexpr std::string_view kDefaultKeyAlias = "alias/aws/secretsmanager";

// A value as the caller sent or receives it (SecretString text, or the raw
// bytes of SecretBinary). Wiped on destruction.
class PlainValue {
 public:
  PlainValue() = default;
  PlainValue(std::string bytes, bool binary) : bytes_(std::move(bytes)), binary_(binary) {}
  ~PlainValue();
  PlainValue(PlainValue&& other) noexcept = default;
  PlainValue& operator=(PlainValue&& other) noexcept = default;
  PlainValue(const PlainValue&) = delete;
  PlainValue& operator=(const PlainValue&) = delete;

  const std::string& bytes() const { return bytes_; }
  bool binary() const { return binary_; }
  // Constant-time equality (idempotent retries compare values).
  bool SameAs(const PlainValue& other) const;

 private:
  std::string bytes_;
  bool binary_ = false;
};

class ValueSealer {
 public:
  ValueSealer(kms::ServiceKms& kms, RandomSource& random) : kms_(kms), random_(random) {}

  // EncryptionFailure (or the KMS AccessDenied) when KMS refuses.
  StatusOr<SealedValue> Seal(const kms::ViaService& via, std::string_view key_id, std::string_view arn,
                             std::string_view version_id, const PlainValue& value);
  // DecryptionFailure (or the KMS AccessDenied) when KMS refuses.
  StatusOr<PlainValue> Open(const kms::ViaService& via, const SealedValue& sealed, std::string_view arn,
                            std::string_view version_id);
  // Wraps the version's data key under `key_id` too (first in the list), so
  // the version decrypts with either key, as AWS re-encrypts on a key change.
  Status Rewrap(const kms::ViaService& via, SealedValue& sealed, std::string_view key_id,
                std::string_view arn, std::string_view version_id);

 private:
  StatusOr<SecretBytes> UnwrapDataKey(const kms::ViaService& via, const SealedValue& sealed,
                                      std::string_view arn, std::string_view version_id);
  kms::ServiceKms& kms_;
  RandomSource& random_;
};

// The secret's KMS key as KMS calls need it.
inline std::string KeyIdOf(const SecretRecord& r) {
  return r.kms_key_id.empty() ? std::string(kDefaultKeyAlias) : r.kms_key_id;
}

}  // namespace coffer::secrets
