// A secret as Secrets Manager keeps it: metadata, staging labels per version,
// rotation settings, resource policy and replicas (table "sm_secrets"), and
// each version's value sealed under a data key that only KMS can unwrap
// (table "sm_values"). Times are milliseconds since the epoch; 0 = unset.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/status_or.h"

namespace coffer::secrets {

inline constexpr std::string_view kCurrent = "AWSCURRENT";
inline constexpr std::string_view kPending = "AWSPENDING";
inline constexpr std::string_view kPrevious = "AWSPREVIOUS";

struct VersionMeta {
  std::int64_t created_ms = 0;
  std::int64_t last_accessed_ms = 0;  // day granularity, as AWS reports it
  std::vector<std::string> stages;
  std::vector<std::string> kms_key_arns;  // keys the version's data key is wrapped under
};

struct RotationSettings {
  bool enabled = false;
  std::string lambda_arn;
  std::optional<int> automatically_after_days;
  std::string schedule_expression;  // rate(...) or cron(...)
  std::string duration;             // "3h"
  std::int64_t last_rotated_ms = 0;
  std::int64_t next_rotation_ms = 0;
  // The rotation in progress (AWSPENDING version) and its last failure, if
  // any. The failure text names the step, never a value.
  std::string pending_token;
  std::string last_failure;
  int failed_attempts = 0;
};

struct Replica {
  std::string region;
  std::string kms_key_id;  // as given; empty: alias/aws/secretsmanager of that region
  std::string status = "InSync";
  std::string status_message;
  std::int64_t last_accessed_ms = 0;
};

struct SecretRecord {
  std::string arn;
  std::string name;
  std::string account;
  std::string region;
  std::string description;
  std::string kms_key_id;  // as the caller gave it; empty: alias/aws/secretsmanager
  std::vector<std::pair<std::string, std::string>> tags;  // in the order they were added
  std::int64_t created_ms = 0;
  std::int64_t last_changed_ms = 0;
  std::int64_t last_accessed_ms = 0;
  std::int64_t deleted_ms = 0;   // when DeleteSecret was called (0: not scheduled)
  std::int64_t deletion_ms = 0;  // when the sweeper removes it
  RotationSettings rotation;
  std::map<std::string, VersionMeta> versions;  // by version id
  std::string policy;                           // resource policy text; empty: none
  std::string primary_region;                   // set on replicas
  std::vector<Replica> replicas;                // on the primary
  std::string owning_service;

  bool scheduled_for_deletion() const { return deleted_ms != 0; }
  bool is_replica() const { return !primary_region.empty(); }
  // The version holding `stage`, or nullptr.
  const std::string* VersionWithStage(std::string_view stage) const;
  bool HasStage(const VersionMeta& v, std::string_view stage) const;
  std::optional<std::string> Tag(std::string_view key) const;
};

nlohmann::json ToJson(const SecretRecord& r);
StatusOr<SecretRecord> SecretFromJson(const nlohmann::json& j);

// One version's value: AES-256-GCM under a data key, which is wrapped by KMS
// (one blob per KMS key it was wrapped under; the first is the current key).
struct WrappedKey {
  std::string key_arn;
  std::string blob;  // KMS ciphertext, base64
};

struct SealedValue {
  std::vector<WrappedKey> keys;
  std::string iv;          // base64
  std::string ciphertext;  // base64, includes the 16-byte tag at the end
  bool binary = false;     // SecretBinary rather than SecretString
};

nlohmann::json ToJson(const SealedValue& v);
StatusOr<SealedValue> SealedFromJson(const nlohmann::json& j);

}  // namespace coffer::secrets
