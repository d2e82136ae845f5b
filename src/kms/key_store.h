// KeyStore: the only way KMS operations reach stored keys and aliases. Reads
// go through an in-memory cache of unwrapped key material (wiped on eviction);
// writes go through a KeyWriter whose Commit() makes them durable and then
// invalidates what they touched. A PostgreSQL deployment will add remote
// invalidation (LISTEN/NOTIFY) behind the same interface.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/random.h"
#include "common/reused.h"
#include "common/secret_bytes.h"
#include "crypto/asymmetric.h"
#include "kms/key_index.h"
#include "kms/key_record.h"
#include "rootkey/root_key.h"
#include "store/store.h"

namespace coffer::kms {

// A key with every backing-key version unwrapped.
struct LoadedKey {
  KeyRecord record;
  std::string arn;                 // record.Arn(), built once at load
  Bytes current_version_id_bytes;  // record.Current().id decoded (ciphertext headers carry it)
  std::map<std::string, SecretBytes, std::less<>> material;  // version id -> key bytes
  // RSA and ECC keys: each version's PKCS#8 material parsed once, here.
  std::map<std::string, std::shared_ptr<const crypto::PrivateKey>, std::less<>> private_keys;

  const SecretBytes* Material(std::string_view version_id) const;
  const crypto::PrivateKey* PrivateKeyOf(std::string_view version_id) const;
};

class KeyStore;

// One write transaction over keys and aliases.
class KeyWriter {
 public:
  StatusOr<std::optional<KeyRecord>> GetKey(std::string_view region, std::string_view account,
                                            std::string_view key_id);
  Status PutKey(const KeyRecord& record);
  Status DeleteKey(const KeyRecord& record);
  StatusOr<std::optional<AliasRecord>> GetAlias(std::string_view region, std::string_view account,
                                                std::string_view alias_name);
  Status PutAlias(std::string_view region, std::string_view account, const AliasRecord& alias);
  Status DeleteAlias(std::string_view region, std::string_view account, std::string_view alias_name);
  StatusOr<std::vector<AliasRecord>> Aliases(std::string_view region, std::string_view account);
  // The background sweeper's work list: up to `limit` keys whose SweepDueMs
  // is at or before `now_ms`, earliest first, read through the due index
  // (never a scan of every key). Index entries a key no longer matches are
  // repaired on the way.
  StatusOr<std::vector<KeyRecord>> DueKeys(std::int64_t now_ms, std::size_t limit);
  // Durable first, then the cache forgets what this writer touched.
  Status Commit();

 private:
  friend class KeyStore;
  KeyWriter(KeyStore& owner, std::unique_ptr<store::Txn> txn)
      : owner_(owner), txn_(std::move(txn)), index_(*txn_) {}
  KeyStore& owner_;
  std::unique_ptr<store::Txn> txn_;
  std::set<std::string> touched_keys_;
  std::set<std::string> touched_aliases_;
  KeyIndexWriter index_;
};

struct KeyPage {
  std::vector<KeyRecord> keys;
  bool truncated = false;
};
struct AliasPage {
  std::vector<AliasRecord> aliases;
  bool truncated = false;
};

class KeyStore {
 public:
  KeyStore(store::Store& store, const rootkey::RootKey& root_key, RandomSource& random);

  // A key with its material, from cache or store. kNotFound when absent.
  StatusOr<std::shared_ptr<const LoadedKey>> Load(std::string_view region, std::string_view account,
                                                  std::string_view key_id);
  // The alias's target key id (cached). nullopt when the alias does not exist.
  StatusOr<std::optional<std::string>> ResolveAlias(std::string_view region, std::string_view account,
                                                    std::string_view alias_name);

  StatusOr<KeyWriter> BeginWrite();

  // Builds the key index (kms/key_index.h) from every key once, in stores
  // written before it existed (a marker in the store says it is complete);
  // cheap afterwards. The sweeper calls it before its write transaction
  // (DueKeys reads an index this made complete).
  Status EnsureIndex();
  // Keys per key state (the index's counts, not a scan).
  StatusOr<std::map<std::string, std::int64_t>> CountByState();

  // Keys of one account and region, ordered by key id, strictly after `start_after`.
  StatusOr<KeyPage> ListKeys(std::string_view region, std::string_view account, std::string_view start_after,
                             std::size_t limit);
  StatusOr<AliasPage> ListAliases(std::string_view region, std::string_view account,
                                  std::string_view start_after, std::size_t limit);
  // Every alias of the account and region (for ListAliases filtered by key).
  StatusOr<std::vector<AliasRecord>> AllAliases(std::string_view region, std::string_view account);

  // Drops every cached key and alias (another cluster node wrote them).
  void ForgetAll();

  // Moves on every committed alias write (AliasIndex rebuilds after it).
  std::uint64_t alias_generation() const { return alias_generation_.load(std::memory_order_acquire); }

  // Key-material cache lookups served from memory / from the store (metrics).
  std::uint64_t cache_hits() const { return cache_hits_.load(std::memory_order_relaxed); }
  std::uint64_t cache_misses() const { return cache_misses_.load(std::memory_order_relaxed); }

  // Fresh random material wrapped for `record`'s ARN as a new version.
  // Fresh material of the record's KeySpec wrapped for its ARN as a new version.
  StatusOr<KeyVersion> NewVersion(const KeyRecord& record, std::string rotation_type, std::int64_t now_ms);
  // Given material (imported) wrapped for `record`'s ARN as version `id`.
  StatusOr<KeyVersion> WrapVersion(const KeyRecord& record, std::string id, ByteView material,
                                   std::int64_t now_ms);
  // Root-key wrapping of other secrets a key owns (import wrapping keys).
  StatusOr<Bytes> WrapSecret(ByteView secret, std::string_view aad);
  StatusOr<SecretBytes> UnwrapSecret(ByteView wrapped, std::string_view aad);

 private:
  friend class KeyWriter;
  struct Shard {
    std::mutex mu;
    std::uint64_t generation = 0;
    StringMap<std::shared_ptr<const LoadedKey>> keys;
    std::unordered_map<std::string, std::string> aliases;
  };
  Shard& ShardFor(std::string_view cache_key);
  void Invalidate(const std::set<std::string>& keys, const std::set<std::string>& aliases);
  StatusOr<std::shared_ptr<const LoadedKey>> Unwrap(KeyRecord record);
  template <typename Record, typename Decode>
  StatusOr<std::pair<std::vector<Record>, bool>> ScanPage(std::string_view table, std::string_view region,
                                                          std::string_view account,
                                                          std::string_view start_after, std::size_t limit,
                                                          Decode decode);

  store::Store& store_;
  const rootkey::RootKey& root_key_;
  RandomSource& random_;
  std::array<Shard, 16> shards_;
  std::atomic<std::uint64_t> cache_hits_{0};
  std::atomic<std::uint64_t> cache_misses_{0};
  std::atomic<std::uint64_t> alias_generation_{0};
  std::atomic<bool> index_ready_{false};
};

}  // namespace coffer::kms
