#include "s3/service_key.h"

#include <cstdint>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>

#include "common/encoding.h"
#include "crypto/crypto.h"

namespace coffer::s3 {
namespace {

using nlohmann::json;

constexpr std::string_view kCurrentRow = "current";
constexpr std::size_t kServiceKeyLen = 32;

Status Corrupt(std::string_view what) {
  return InternalError("stored S3 service key " + std::string(what) + " is corrupt");
}

// {"version": N, ...} of a stored row; `wrapped` filled when the row has it.
StatusOr<std::uint32_t> ParseRow(std::string_view text, std::string_view what, Bytes* out_wrapped) {
  const json row = json::parse(text, nullptr, false);
  if (row.is_discarded() || !row.is_object() || !row.contains("version") ||
      !row["version"].is_number_unsigned() || row["version"].get<std::uint64_t>() > UINT32_MAX) {
    return Corrupt(what);
  }
  if (out_wrapped != nullptr) {
    if (!row.contains("wrapped") || !row["wrapped"].is_string()) return Corrupt(what);
    auto wrapped = Base64Decode(row["wrapped"].get<std::string>());
    if (!wrapped) return Corrupt(what);
    *out_wrapped = std::move(*wrapped);
  }
  return row["version"].get<std::uint32_t>();
}

StatusOr<std::optional<std::uint32_t>> ReadCurrent(store::Txn& txn) {
  ASSIGN_OR_RETURN(auto current, txn.Get(kServiceKeysTable, kCurrentRow));
  if (!current) return std::optional<std::uint32_t>();
  ASSIGN_OR_RETURN(std::uint32_t version, ParseRow(*current, "current version", nullptr));
  return std::optional<std::uint32_t>(version);
}

StatusOr<std::int64_t> CreatedMs(store::Txn& txn, std::uint32_t version) {
  ASSIGN_OR_RETURN(auto row, txn.Get(kServiceKeysTable, ServiceKeyRowKey(version)));
  if (!row) return Corrupt("version " + std::to_string(version) + " (missing)");
  const json parsed = json::parse(*row, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object() || !parsed.contains("created_ms") ||
      !parsed["created_ms"].is_number_integer()) {
    return Corrupt("version " + std::to_string(version));
  }
  return parsed["created_ms"].get<std::int64_t>();
}

}  // namespace

std::string ServiceKeyAad(std::uint32_t version) {
  return "coffer:s3-service-key:v1:" + std::to_string(version);
}

std::string ServiceKeyRowKey(std::uint32_t version) {
  char digits[16];
  std::snprintf(digits, sizeof digits, "%010u", static_cast<unsigned>(version));
  return "version/" + std::string(digits);
}

StatusOr<std::uint32_t> ServiceKeyring::CurrentVersion() {
  {
    ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
    ASSIGN_OR_RETURN(std::optional<std::uint32_t> current, ReadCurrent(*txn));
    if (current) return *current;
  }
  ASSIGN_OR_RETURN(ServiceKeyRotation first, Rotate(/*force=*/false));
  return first.version;
}

StatusOr<std::optional<ServiceKeyRotation>> ServiceKeyring::NotDue(store::Txn& txn) const {
  ASSIGN_OR_RETURN(std::optional<std::uint32_t> current, ReadCurrent(txn));
  if (!current) return std::optional<ServiceKeyRotation>();
  const ServiceKeyRotation unchanged{*current, false};
  if (rotation_period_.count() == 0) return std::optional<ServiceKeyRotation>(unchanged);
  ASSIGN_OR_RETURN(std::int64_t created_ms, CreatedMs(txn, *current));
  const auto age = std::chrono::milliseconds(ToEpochMillis(clock_.Now()) - created_ms);
  if (age < rotation_period_) return std::optional<ServiceKeyRotation>(unchanged);
  return std::optional<ServiceKeyRotation>();
}

StatusOr<ServiceKeyRotation> ServiceKeyring::Rotate(bool force) {
  if (!force) {
    // Most sweeps find nothing due: a read transaction decides that without
    // taking the (cluster-wide) writer lock.
    ASSIGN_OR_RETURN(auto read, store_.BeginRead());
    ASSIGN_OR_RETURN(std::optional<ServiceKeyRotation> not_due, NotDue(*read));
    if (not_due) return *not_due;
  }
  ASSIGN_OR_RETURN(auto txn, store_.BeginWrite());
  if (!force) {
    // Another node may have rotated since the read above.
    ASSIGN_OR_RETURN(std::optional<ServiceKeyRotation> not_due, NotDue(*txn));
    if (not_due) return *not_due;
  }
  ASSIGN_OR_RETURN(std::optional<std::uint32_t> current, ReadCurrent(*txn));
  if (current && *current == UINT32_MAX) return InternalError("S3 service key versions exhausted");
  const std::uint32_t version = current ? *current + 1 : 1;
  ASSIGN_OR_RETURN(const SecretBytes key, crypto::RandomSecret(random_, kServiceKeyLen));
  ASSIGN_OR_RETURN(const Bytes wrapped, root_.Wrap(key.view(), ServiceKeyAad(version)));
  const json row = {
      {"version", version}, {"created_ms", ToEpochMillis(clock_.Now())}, {"wrapped", Base64Encode(wrapped)}};
  RETURN_IF_ERROR(txn->Put(kServiceKeysTable, ServiceKeyRowKey(version), row.dump()));
  RETURN_IF_ERROR(txn->Put(kServiceKeysTable, kCurrentRow, json{{"version", version}}.dump()));
  RETURN_IF_ERROR(txn->Commit());
  return ServiceKeyRotation{version, true};
}

StatusOr<const SecretBytes*> ServiceKeyring::Key(std::uint32_t version) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto it = keys_.find(version); it != keys_.end()) return &it->second;
  }
  std::optional<std::string> row;
  {
    ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
    ASSIGN_OR_RETURN(row, txn->Get(kServiceKeysTable, ServiceKeyRowKey(version)));
  }
  if (!row) return NotFoundError("S3 service key version " + std::to_string(version) + " does not exist");
  Bytes wrapped;
  ASSIGN_OR_RETURN(std::uint32_t stored, ParseRow(*row, "version " + std::to_string(version), &wrapped));
  if (stored != version) return Corrupt("version " + std::to_string(version));
  auto key = root_.Unwrap(wrapped, ServiceKeyAad(version));
  if (!key.ok())
    return InternalError("S3 service key version " + std::to_string(version) + " does not unwrap");
  std::lock_guard<std::mutex> lock(mu_);
  // Another thread may have put it there meanwhile: the same bytes either way.
  return &keys_.try_emplace(version, std::move(*key)).first->second;
}

StatusOr<Bytes> ServiceKeyring::Wrap(std::uint32_t version, ByteView data_key, std::string_view aad) {
  ASSIGN_OR_RETURN(const SecretBytes* key, Key(version));
  return blobs::SealKey(key->view(), data_key, aad, random_);
}

StatusOr<SecretBytes> ServiceKeyring::Unwrap(std::uint32_t version, ByteView wrapped, std::string_view aad) {
  ASSIGN_OR_RETURN(const SecretBytes* key, Key(version));
  return blobs::OpenKey(key->view(), wrapped, aad);
}

}  // namespace coffer::s3
