// The stored form of a KMS key: metadata plus its backing-key versions, each
// wrapped under the root key. Encoded as JSON in the Store's "keys" table.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/status_or.h"

namespace coffer::kms {

inline constexpr std::string_view kStateEnabled = "Enabled";
inline constexpr std::string_view kStateDisabled = "Disabled";
inline constexpr std::string_view kStatePendingDeletion = "PendingDeletion";
inline constexpr std::string_view kStatePendingImport = "PendingImport";

struct KeyVersion {
  std::string id;  // KeyMaterialId: 64 lower-case hex characters
  std::int64_t created_ms = 0;
  std::string rotation_type;  // "" for the first material; AUTOMATIC or ON_DEMAND
  Bytes wrapped;              // material wrapped under the root key (see MaterialAad)
};

// The outstanding GetParametersForImport answer of an EXTERNAL key: the
// wrapping private key (wrapped under the root key, see ImportWrappingAad) and
// a digest of the import token, which is never stored itself.
struct ImportParameters {
  std::string token_sha256;  // hex
  std::string wrapping_algorithm;
  Bytes wrapped_private_key;
  std::int64_t expires_ms = 0;
};

struct KeyRecord {
  std::string key_id;
  std::string account;
  std::string region;
  std::string description;
  std::string key_spec = "SYMMETRIC_DEFAULT";
  std::string key_usage = "ENCRYPT_DECRYPT";
  std::string origin = "AWS_KMS";
  std::string key_manager = "CUSTOMER";
  std::string state = std::string(kStateEnabled);
  std::int64_t created_ms = 0;
  std::optional<std::int64_t> deletion_ms;
  int pending_window_days = 0;
  std::string policy;
  std::map<std::string, std::string> tags;
  bool rotation_enabled = false;
  int rotation_period_days = 365;
  std::int64_t next_rotation_ms = 0;
  int on_demand_rotations = 0;
  std::vector<KeyVersion> versions;  // oldest first; the last one is current
  // Origin EXTERNAL: how imported material expires, and the pending import.
  std::string expiration_model;  // "" until material is imported
  std::optional<std::int64_t> valid_to_ms;
  std::optional<ImportParameters> import;
  std::string imported_material_id;  // first material ever imported: re-imports must match
  // Keys in a custom key store (Origin AWS_CLOUDHSM or EXTERNAL_KEY_STORE):
  // the store's id, and for EXTERNAL_KEY_STORE the key's id in the proxy.
  std::string custom_key_store_id;
  std::string xks_key_id;

  std::string Arn() const;
  const KeyVersion* FindVersion(std::string_view id) const;
  const KeyVersion& Current() const { return versions.back(); }
};

// Store location of a key: "<region>/<account>/<key id>".
std::string KeyStoreKey(std::string_view region, std::string_view account, std::string_view key_id);
// The same into `out` (replacing its text, keeping its capacity).
void AssignKeyStoreKey(std::string_view region, std::string_view account, std::string_view key_id,
                       std::string& out);
// The Store table of key records (EncodeKeyRecord).
inline constexpr std::string_view kKeysTable = "keys";
// AAD that binds wrapped material to its key and version.
std::string MaterialAad(std::string_view key_arn, std::string_view version_id);
// AAD that binds an import wrapping key to its KMS key.
std::string ImportWrappingAad(std::string_view key_arn);

// Forgets imported material (DeleteImportedKeyMaterial, or expiry): the key
// goes back to PendingImport and keeps only what identifies the material.
void DropImportedMaterial(KeyRecord& record);

std::string EncodeKeyRecord(const KeyRecord& record);
StatusOr<KeyRecord> DecodeKeyRecord(std::string_view text);

struct AliasRecord {
  std::string alias_name;  // "alias/..."
  std::string target_key_id;
  std::int64_t created_ms = 0;
  std::int64_t updated_ms = 0;
};

std::string EncodeAliasRecord(const AliasRecord& record);
StatusOr<AliasRecord> DecodeAliasRecord(std::string_view text);

}  // namespace coffer::kms
