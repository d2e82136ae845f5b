// The S3 service key: the middle of the key hierarchy of S3 object bodies
// (root key -> S3 service key version -> one data key per blob;
// docs/security.md). Each version is 32 random bytes, stored in the Store
// (table kServiceKeysTable) wrapped under the root key with
// ServiceKeyAad(version); new blobs are wrapped under the current version,
// and a blob header names its version, so rotating never rewrites an object
// file. A new version comes from Rotate: the sweeper's once the current one is
// older than the rotation period, or `coffer admin rotate-s3-service-key`.
//
// The current version is read from the Store for every new blob (one point
// read), so a version another process or cluster node created is used at
// once, with no cache to invalidate. Versions never change once written
// (only `coffer admin migrate-root-key` rewraps them, with the server
// stopped), so unwrapped versions are cached for the life of the process.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "blobs/keyring.h"
#include "common/clock.h"
#include "common/random.h"
#include "rootkey/root_key.h"
#include "store/store.h"

namespace coffer::s3 {

// Rows: "current" -> {"version": N}; "version/<N, 10 digits>" ->
// {"version": N, "created_ms": ..., "wrapped": base64 of RootKey::Wrap}.
inline constexpr std::string_view kServiceKeysTable = "s3_service_keys";
inline constexpr std::chrono::seconds kDefaultServiceKeyRotation{std::chrono::hours(24 * 365)};

// "coffer:s3-service-key:v1:<version>": what a stored version is for, and which.
std::string ServiceKeyAad(std::uint32_t version);
// The store key of a version's row.
std::string ServiceKeyRowKey(std::uint32_t version);

struct ServiceKeyRotation {
  std::uint32_t version = 0;  // the current version after the call
  bool rotated = false;       // this call created it
};

class ServiceKeyring final : public blobs::BlobKeyring {
 public:
  // `rotation_period` 0: no automatic rotation (Rotate(false) only creates
  // version 1 when there is none). Everything passed must outlive this.
  ServiceKeyring(store::Store& store, const rootkey::RootKey& root, const Clock& clock, RandomSource& random,
                 std::chrono::seconds rotation_period = kDefaultServiceKeyRotation)
      : store_(store), root_(root), clock_(clock), random_(random), rotation_period_(rotation_period) {}

  // The current version; creates version 1 when the store has none.
  StatusOr<std::uint32_t> CurrentVersion() override;
  StatusOr<Bytes> Wrap(std::uint32_t version, ByteView data_key, std::string_view aad) override;
  StatusOr<SecretBytes> Unwrap(std::uint32_t version, ByteView wrapped, std::string_view aad) override;

  // Creates a new version when `force`, when there is none, or when the
  // current one is at least the rotation period old on the clock. One write
  // transaction (serialised across cluster nodes), so nodes racing to rotate
  // create one version, not several.
  StatusOr<ServiceKeyRotation> Rotate(bool force);

 private:
  // The current version when no new one is due (not forced): there is one,
  // and it is younger than the period (or the period is 0). nullopt: due.
  StatusOr<std::optional<ServiceKeyRotation>> NotDue(store::Txn& txn) const;
  // Version `version`'s key, unwrapped once and then cached. kNotFound when
  // the store has no such version; kInternal when it does not unwrap.
  StatusOr<const SecretBytes*> Key(std::uint32_t version);

  store::Store& store_;
  const rootkey::RootKey& root_;
  const Clock& clock_;
  RandomSource& random_;
  const std::chrono::seconds rotation_period_;
  std::mutex mu_;
  std::map<std::uint32_t, SecretBytes> keys_;  // never erased: entries stay put
};

}  // namespace coffer::s3
