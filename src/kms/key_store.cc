#include "kms/key_store.h"

#include <functional>

#include "common/encoding.h"
#include "crypto/crypto.h"
#include "kms/arn.h"
#include "kms/key_spec.h"

namespace coffer::kms {
namespace {

constexpr std::string_view kKeys = kKeysTable;
constexpr std::string_view kAliases = "aliases";
constexpr std::size_t kMaxCachedPerShard = 4096;

constexpr std::size_t kScanPage = 512;

std::string AliasStoreKey(std::string_view region, std::string_view account, std::string_view alias_name) {
  return KeyStoreKey(region, account, alias_name);
}

std::string AccountPrefix(std::string_view region, std::string_view account) {
  return std::string(region) + "/" + std::string(account) + "/";
}

}  // namespace

const SecretBytes* LoadedKey::Material(std::string_view version_id) const {
  auto it = material.find(version_id);
  return it == material.end() ? nullptr : &it->second;
}

const crypto::PrivateKey* LoadedKey::PrivateKeyOf(std::string_view version_id) const {
  auto it = private_keys.find(version_id);
  return it == private_keys.end() ? nullptr : it->second.get();
}

// ---- KeyWriter ----

StatusOr<std::optional<KeyRecord>> KeyWriter::GetKey(std::string_view region, std::string_view account,
                                                     std::string_view key_id) {
  ASSIGN_OR_RETURN(auto value, txn_->Get(kKeys, KeyStoreKey(region, account, key_id)));
  if (!value) return std::optional<KeyRecord>();
  ASSIGN_OR_RETURN(KeyRecord record, DecodeKeyRecord(*value));
  return std::optional<KeyRecord>(std::move(record));
}

Status KeyWriter::PutKey(const KeyRecord& record) {
  const std::string key = KeyStoreKey(record.region, record.account, record.key_id);
  touched_keys_.insert(key);
  RETURN_IF_ERROR(txn_->Put(kKeys, key, EncodeKeyRecord(record)));
  return index_.Update(key, &record);
}

Status KeyWriter::DeleteKey(const KeyRecord& record) {
  const std::string key = KeyStoreKey(record.region, record.account, record.key_id);
  touched_keys_.insert(key);
  RETURN_IF_ERROR(txn_->Delete(kKeys, key));
  return index_.Update(key, nullptr);
}

StatusOr<std::optional<AliasRecord>> KeyWriter::GetAlias(std::string_view region, std::string_view account,
                                                         std::string_view alias_name) {
  ASSIGN_OR_RETURN(auto value, txn_->Get(kAliases, AliasStoreKey(region, account, alias_name)));
  if (!value) return std::optional<AliasRecord>();
  ASSIGN_OR_RETURN(AliasRecord alias, DecodeAliasRecord(*value));
  return std::optional<AliasRecord>(std::move(alias));
}

Status KeyWriter::PutAlias(std::string_view region, std::string_view account, const AliasRecord& alias) {
  const std::string key = AliasStoreKey(region, account, alias.alias_name);
  touched_aliases_.insert(key);
  return txn_->Put(kAliases, key, EncodeAliasRecord(alias));
}

Status KeyWriter::DeleteAlias(std::string_view region, std::string_view account,
                              std::string_view alias_name) {
  const std::string key = AliasStoreKey(region, account, alias_name);
  touched_aliases_.insert(key);
  return txn_->Delete(kAliases, key);
}

StatusOr<std::vector<AliasRecord>> KeyWriter::Aliases(std::string_view region, std::string_view account) {
  ASSIGN_OR_RETURN(auto entries, txn_->Scan(kAliases, AccountPrefix(region, account), "", 1000000));
  std::vector<AliasRecord> out;
  for (const auto& e : entries) {
    ASSIGN_OR_RETURN(AliasRecord alias, DecodeAliasRecord(e.value));
    out.push_back(std::move(alias));
  }
  return out;
}

StatusOr<std::vector<KeyRecord>> KeyWriter::DueKeys(std::int64_t now_ms, std::size_t limit) {
  ASSIGN_OR_RETURN(std::vector<DueEntry> entries, index_.DueBy(now_ms, limit));
  std::vector<KeyRecord> out;
  for (const DueEntry& entry : entries) {
    ASSIGN_OR_RETURN(auto value, txn_->Get(kKeys, entry.store_key));
    if (!value) {
      RETURN_IF_ERROR(index_.Update(entry.store_key, nullptr));
      continue;
    }
    ASSIGN_OR_RETURN(KeyRecord record, DecodeKeyRecord(*value));
    RETURN_IF_ERROR(index_.Update(entry.store_key, &record));  // repairs an entry the key no longer matches
    const std::optional<std::int64_t> due = SweepDueMs(record);
    if (due && *due <= now_ms) out.push_back(std::move(record));
  }
  return out;
}

Status KeyWriter::Commit() {
  RETURN_IF_ERROR(index_.Flush());
  RETURN_IF_ERROR(txn_->Commit());
  owner_.Invalidate(touched_keys_, touched_aliases_);
  return Status::Ok();
}

// ---- KeyStore ----

Status KeyStore::EnsureIndex() {
  if (index_ready_.load(std::memory_order_acquire)) return Status::Ok();
  ASSIGN_OR_RETURN(KeyWriter writer, BeginWrite());
  ASSIGN_OR_RETURN(bool complete, writer.index_.Complete());
  if (!complete) {
    // Once per store: keys written by a coffer without the index.
    RETURN_IF_ERROR(writer.index_.Clear());
    std::string after;
    while (true) {
      ASSIGN_OR_RETURN(auto entries, writer.txn_->Scan(kKeys, "", after, kScanPage));
      for (const auto& e : entries) {
        ASSIGN_OR_RETURN(KeyRecord record, DecodeKeyRecord(e.value));
        RETURN_IF_ERROR(writer.index_.Update(e.key, &record));
      }
      if (entries.size() < kScanPage) break;
      after = entries.back().key;
    }
    RETURN_IF_ERROR(writer.index_.MarkComplete());
  }
  RETURN_IF_ERROR(writer.Commit());
  index_ready_.store(true, std::memory_order_release);
  return Status::Ok();
}

StatusOr<std::map<std::string, std::int64_t>> KeyStore::CountByState() {
  RETURN_IF_ERROR(EnsureIndex());
  ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
  return ReadKeyCounts(*txn);
}

KeyStore::KeyStore(store::Store& store, const rootkey::RootKey& root_key, RandomSource& random)
    : store_(store), root_key_(root_key), random_(random) {}

KeyStore::Shard& KeyStore::ShardFor(std::string_view cache_key) {
  return shards_[std::hash<std::string_view>{}(cache_key) % shards_.size()];
}

void KeyStore::Invalidate(const std::set<std::string>& keys, const std::set<std::string>& aliases) {
  for (const auto& k : keys) {
    Shard& shard = ShardFor(k);
    std::lock_guard lock(shard.mu);
    ++shard.generation;
    shard.keys.erase(k);
  }
  for (const auto& a : aliases) {
    Shard& shard = ShardFor(a);
    std::lock_guard lock(shard.mu);
    ++shard.generation;
    shard.aliases.erase(a);
  }
  if (!aliases.empty()) alias_generation_.fetch_add(1, std::memory_order_acq_rel);
}

void KeyStore::ForgetAll() {
  for (Shard& shard : shards_) {
    std::lock_guard lock(shard.mu);
    ++shard.generation;
    shard.keys.clear();
    shard.aliases.clear();
  }
  alias_generation_.fetch_add(1, std::memory_order_acq_rel);
}

StatusOr<std::shared_ptr<const LoadedKey>> KeyStore::Unwrap(KeyRecord record) {
  auto loaded = std::make_shared<LoadedKey>();
  loaded->arn = record.Arn();
  const std::string& arn = loaded->arn;
  if (!record.versions.empty()) {
    if (std::optional<Bytes> id = HexDecode(record.Current().id)) loaded->current_version_id_bytes = *id;
  }
  for (const auto& version : record.versions) {
    // A custom key store's token holds this version's material (kms/cloudhsm_backend.h).
    if (version.wrapped.empty() && !record.custom_key_store_id.empty()) continue;
    ASSIGN_OR_RETURN(SecretBytes material, root_key_.Unwrap(version.wrapped, MaterialAad(arn, version.id)));
    if (SpecInfo(record.key_spec).asym) {
      ASSIGN_OR_RETURN(std::shared_ptr<const crypto::PrivateKey> key,
                       crypto::PrivateKey::FromPkcs8(material.view()));
      loaded->private_keys.emplace(version.id, std::move(key));
    }
    loaded->material.emplace(version.id, std::move(material));
  }
  loaded->record = std::move(record);
  return std::shared_ptr<const LoadedKey>(std::move(loaded));
}

StatusOr<std::shared_ptr<const LoadedKey>> KeyStore::Load(std::string_view region, std::string_view account,
                                                          std::string_view key_id) {
  // Built in the thread's reused string: a cache hit allocates nothing.
  struct CacheKeyTag;
  const Reused<std::string, CacheKeyTag> reused_key;
  AssignKeyStoreKey(region, account, key_id, *reused_key);
  const std::string_view cache_key = *reused_key;
  Shard& shard = ShardFor(cache_key);
  std::uint64_t generation = 0;
  {
    std::lock_guard lock(shard.mu);
    auto it = shard.keys.find(cache_key);
    if (it != shard.keys.end()) {
      cache_hits_.fetch_add(1, std::memory_order_relaxed);
      return it->second;
    }
    generation = shard.generation;
  }
  cache_misses_.fetch_add(1, std::memory_order_relaxed);
  ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
  ASSIGN_OR_RETURN(auto value, txn->Get(kKeys, cache_key));
  if (!value) return NotFoundError("Key '" + KeyArn(region, account, key_id) + "' does not exist");
  ASSIGN_OR_RETURN(KeyRecord record, DecodeKeyRecord(*value));
  ASSIGN_OR_RETURN(auto loaded, Unwrap(std::move(record)));
  std::lock_guard lock(shard.mu);
  // A write that committed while we read would make this entry stale: skip it.
  if (shard.generation == generation) {
    // Bounded: one arbitrary entry makes room (a million keys never all stay).
    if (shard.keys.size() >= kMaxCachedPerShard) shard.keys.erase(shard.keys.begin());
    shard.keys.emplace(cache_key, loaded);
  }
  return loaded;
}

StatusOr<std::optional<std::string>> KeyStore::ResolveAlias(std::string_view region, std::string_view account,
                                                            std::string_view alias_name) {
  const std::string cache_key = AliasStoreKey(region, account, alias_name);
  Shard& shard = ShardFor(cache_key);
  std::uint64_t generation = 0;
  {
    std::lock_guard lock(shard.mu);
    auto it = shard.aliases.find(cache_key);
    if (it != shard.aliases.end()) return std::optional<std::string>(it->second);
    generation = shard.generation;
  }
  ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
  ASSIGN_OR_RETURN(auto value, txn->Get(kAliases, cache_key));
  if (!value) return std::optional<std::string>();
  ASSIGN_OR_RETURN(AliasRecord alias, DecodeAliasRecord(*value));
  std::lock_guard lock(shard.mu);
  if (shard.generation == generation) {
    if (shard.aliases.size() >= kMaxCachedPerShard) shard.aliases.erase(shard.aliases.begin());
    shard.aliases.emplace(cache_key, alias.target_key_id);
  }
  return std::optional<std::string>(alias.target_key_id);
}

StatusOr<KeyWriter> KeyStore::BeginWrite() {
  ASSIGN_OR_RETURN(auto txn, store_.BeginWrite());
  return KeyWriter(*this, std::move(txn));
}

// One page of an account's records in `table`: at most `limit` decoded
// records after `start_after`, and whether more follow.
template <typename Record, typename Decode>
StatusOr<std::pair<std::vector<Record>, bool>> KeyStore::ScanPage(std::string_view table,
                                                                  std::string_view region,
                                                                  std::string_view account,
                                                                  std::string_view start_after,
                                                                  std::size_t limit, Decode decode) {
  ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
  const std::string prefix = AccountPrefix(region, account);
  const std::string after = start_after.empty() ? "" : prefix + std::string(start_after);
  ASSIGN_OR_RETURN(auto entries, txn->Scan(table, prefix, after, limit + 1));
  const bool truncated = entries.size() > limit;
  if (truncated) entries.pop_back();
  std::vector<Record> records;
  for (const auto& e : entries) {
    ASSIGN_OR_RETURN(Record record, decode(e.value));
    records.push_back(std::move(record));
  }
  return std::make_pair(std::move(records), truncated);
}

StatusOr<KeyPage> KeyStore::ListKeys(std::string_view region, std::string_view account,
                                     std::string_view start_after, std::size_t limit) {
  ASSIGN_OR_RETURN(auto page,
                   ScanPage<KeyRecord>(kKeys, region, account, start_after, limit, DecodeKeyRecord));
  return KeyPage{std::move(page.first), page.second};
}

StatusOr<AliasPage> KeyStore::ListAliases(std::string_view region, std::string_view account,
                                          std::string_view start_after, std::size_t limit) {
  ASSIGN_OR_RETURN(auto page,
                   ScanPage<AliasRecord>(kAliases, region, account, start_after, limit, DecodeAliasRecord));
  return AliasPage{std::move(page.first), page.second};
}

StatusOr<std::vector<AliasRecord>> KeyStore::AllAliases(std::string_view region, std::string_view account) {
  ASSIGN_OR_RETURN(AliasPage page, ListAliases(region, account, "", 100000));
  return std::move(page.aliases);
}

StatusOr<KeyVersion> KeyStore::NewVersion(const KeyRecord& record, std::string rotation_type,
                                          std::int64_t now_ms) {
  Bytes id(32);
  RETURN_IF_ERROR(random_.Fill(id));
  ASSIGN_OR_RETURN(SecretBytes material, GenerateMaterial(SpecInfo(record.key_spec), random_));
  ASSIGN_OR_RETURN(KeyVersion version, WrapVersion(record, HexEncode(id), material.view(), now_ms));
  version.rotation_type = std::move(rotation_type);
  return version;
}

StatusOr<KeyVersion> KeyStore::WrapVersion(const KeyRecord& record, std::string id, ByteView material,
                                           std::int64_t now_ms) {
  KeyVersion version;
  version.id = std::move(id);
  version.created_ms = now_ms;
  ASSIGN_OR_RETURN(version.wrapped, root_key_.Wrap(material, MaterialAad(record.Arn(), version.id)));
  return version;
}

StatusOr<Bytes> KeyStore::WrapSecret(ByteView secret, std::string_view aad) {
  return root_key_.Wrap(secret, aad);
}

StatusOr<SecretBytes> KeyStore::UnwrapSecret(ByteView wrapped, std::string_view aad) {
  return root_key_.Unwrap(wrapped, aad);
}

}  // namespace coffer::kms
