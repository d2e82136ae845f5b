// The caching CMM: an LRU map from a SHA-512 cache id to materials plus their
// usage (messages, bytes) and creation time.
#include "coffer/caching_cmm.h"

#include <algorithm>
#include <list>
#include <mutex>
#include <unordered_map>

#include "common/encoding.h"
#include "crypto/crypto.h"
#include "envelope/suite.h"
#include "envelope/wire.h"

namespace coffer::envelope {
namespace {

EncryptionMaterials Clone(const EncryptionMaterials& m) {
  return {m.suite, m.context, m.plaintext_data_key.Clone(), m.encrypted_data_keys, m.signing_key};
}
DecryptionMaterials Clone(const DecryptionMaterials& m) {
  return {m.suite, m.context, m.plaintext_data_key.Clone()};
}

void HashField(crypto::Hasher& hasher, ByteView bytes) {
  Bytes len;
  AppendU64(len, bytes.size());
  hasher.Update(len);
  hasher.Update(bytes);
}

// The cache id: partition, kind, suite, context (and, for decrypt, the EDKs).
StatusOr<std::string> CacheId(const std::string& partition, char kind, SuiteId suite,
                              const EncryptionContext& context, const std::vector<EncryptedDataKey>* edks) {
  crypto::Hasher hasher(crypto::HashAlg::kSha512);
  HashField(hasher, AsBytes(partition));
  Bytes head = {static_cast<std::uint8_t>(kind)};
  AppendU16(head, static_cast<std::uint16_t>(suite));
  hasher.Update(head);
  ASSIGN_OR_RETURN(Bytes serialized, SerializeContext(context));
  HashField(hasher, serialized);
  if (edks != nullptr) {
    std::vector<Bytes> each;
    for (const EncryptedDataKey& edk : *edks) {
      Bytes one;
      RETURN_IF_ERROR(AppendU16Prefixed(one, AsBytes(edk.provider_id), "key provider id"));
      RETURN_IF_ERROR(AppendU16Prefixed(one, edk.provider_info, "key provider info"));
      RETURN_IF_ERROR(AppendU16Prefixed(one, edk.ciphertext, "encrypted data key"));
      each.push_back(std::move(one));
    }
    std::sort(each.begin(), each.end());
    for (const Bytes& one : each) HashField(hasher, one);
  }
  const Bytes digest = hasher.Final();
  return std::string(AsChars(digest));
}

struct Entry {
  std::optional<EncryptionMaterials> encryption;
  std::optional<DecryptionMaterials> decryption;
  TimePoint created;
  std::uint64_t messages = 0;
  std::uint64_t bytes = 0;
};

class LocalCachingCmm final : public CachingCmm {
 public:
  LocalCachingCmm(std::shared_ptr<CryptoMaterialsManager> underlying, CachingCmmOptions options,
                  const Clock& clock)
      : underlying_(std::move(underlying)), options_(std::move(options)), clock_(clock) {}

  StatusOr<EncryptionMaterials> GetEncryptionMaterials(const EncryptionMaterialsRequest& request) override;
  StatusOr<DecryptionMaterials> DecryptMaterials(const DecryptMaterialsRequest& request) override;
  CacheStats stats() const override {
    std::lock_guard lock(mu_);
    return {hits_, misses_, index_.size()};
  }

 private:
  using Lru = std::list<std::pair<std::string, Entry>>;
  // The live entry for `id`, moved to the front; expired entries are evicted.
  Entry* Find(const std::string& id);
  void Insert(const std::string& id, Entry entry);
  void Evict(const std::string& id);

  std::shared_ptr<CryptoMaterialsManager> underlying_;
  CachingCmmOptions options_;
  const Clock& clock_;
  mutable std::mutex mu_;
  Lru lru_;
  std::unordered_map<std::string, Lru::iterator> index_;
  std::uint64_t hits_ = 0, misses_ = 0;
};

Entry* LocalCachingCmm::Find(const std::string& id) {
  auto it = index_.find(id);
  if (it == index_.end()) return nullptr;
  if (clock_.Now() - it->second->second.created >= options_.max_age) {
    Evict(id);
    return nullptr;
  }
  lru_.splice(lru_.begin(), lru_, it->second);
  return &it->second->second;
}

void LocalCachingCmm::Insert(const std::string& id, Entry entry) {
  Evict(id);
  lru_.emplace_front(id, std::move(entry));
  index_[id] = lru_.begin();
  while (index_.size() > options_.capacity) Evict(lru_.back().first);
}

void LocalCachingCmm::Evict(const std::string& id) {
  auto it = index_.find(id);
  if (it == index_.end()) return;
  lru_.erase(it->second);
  index_.erase(it);
}

StatusOr<EncryptionMaterials> LocalCachingCmm::GetEncryptionMaterials(
    const EncryptionMaterialsRequest& request) {
  const bool cacheable = request.plaintext_length.has_value() &&
                         GetSuite(request.suite).kdf != Kdf::kIdentity &&
                         *request.plaintext_length <= options_.max_bytes;
  if (!cacheable) return underlying_->GetEncryptionMaterials(request);
  ASSIGN_OR_RETURN(std::string id, CacheId(options_.partition, 'E', request.suite, request.context, nullptr));
  const std::uint64_t len = *request.plaintext_length;
  {
    std::lock_guard lock(mu_);
    if (Entry* entry = Find(id)) {
      if (entry->messages + 1 <= options_.max_messages && entry->bytes + len <= options_.max_bytes) {
        ++entry->messages;
        entry->bytes += len;
        ++hits_;
        return Clone(*entry->encryption);
      }
      Evict(id);
    }
    ++misses_;
  }
  ASSIGN_OR_RETURN(EncryptionMaterials fresh, underlying_->GetEncryptionMaterials(request));
  std::lock_guard lock(mu_);
  Insert(id, Entry{Clone(fresh), std::nullopt, clock_.Now(), 1, len});
  return fresh;
}

StatusOr<DecryptionMaterials> LocalCachingCmm::DecryptMaterials(const DecryptMaterialsRequest& request) {
  if (GetSuite(request.suite).kdf == Kdf::kIdentity) return underlying_->DecryptMaterials(request);
  ASSIGN_OR_RETURN(std::string id, CacheId(options_.partition, 'D', request.suite, request.context,
                                           &request.encrypted_data_keys));
  {
    std::lock_guard lock(mu_);
    if (Entry* entry = Find(id)) {
      ++hits_;
      return Clone(*entry->decryption);
    }
    ++misses_;
  }
  ASSIGN_OR_RETURN(DecryptionMaterials fresh, underlying_->DecryptMaterials(request));
  std::lock_guard lock(mu_);
  Insert(id, Entry{std::nullopt, Clone(fresh), clock_.Now(), 0, 0});
  return fresh;
}

}  // namespace

StatusOr<std::unique_ptr<CachingCmm>> NewCachingCmm(std::shared_ptr<CryptoMaterialsManager> underlying,
                                                    CachingCmmOptions options, const Clock& clock) {
  if (underlying == nullptr) return ValidationError("caching CMM needs an underlying CMM");
  if (options.max_age <= std::chrono::nanoseconds::zero())
    return ValidationError("caching CMM max_age must be positive");
  if (options.max_messages == 0 || options.max_messages > (std::uint64_t{1} << 32)) {
    return ValidationError("caching CMM max_messages must be between 1 and 2^32");
  }
  if (options.max_bytes > (std::uint64_t{1} << 63) - 1)
    return ValidationError("caching CMM max_bytes must be below 2^63");
  if (options.capacity == 0) return ValidationError("caching CMM capacity must be at least 1");
  if (options.partition.empty()) {
    Bytes random(16);
    crypto::OsRandom os;
    RETURN_IF_ERROR(os.Fill(random));
    options.partition = FormatUuid(random);
  }
  return std::unique_ptr<CachingCmm>(new LocalCachingCmm(std::move(underlying), std::move(options), clock));
}

}  // namespace coffer::envelope
