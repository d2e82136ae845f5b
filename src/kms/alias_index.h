// The aliases pointing at each key (kms:ResourceAliases), kept per account and
// region so a request on a key costs one hash lookup, not a scan. An account's
// index is rebuilt from the store after any committed alias write, so a
// CreateAlias, UpdateAlias or DeleteAlias (or a key deletion taking its
// aliases along) is seen by the next request.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "kms/authorizer.h"
#include "kms/key_store.h"

namespace coffer::kms {

class AliasIndex final : public AliasSource {
 public:
  explicit AliasIndex(KeyStore& keys) : keys_(keys) {}

  // Sorted alias names ("alias/...") whose target is `key`; empty when none.
  StatusOr<std::vector<std::string>> AliasesOf(const KeyRecord& key) override;

 private:
  using ByKey = std::unordered_map<std::string, std::vector<std::string>>;  // key id -> aliases
  struct Entry {
    std::uint64_t generation = 0;
    std::shared_ptr<const ByKey> by_key;
  };
  struct Shard {
    std::mutex mu;
    std::unordered_map<std::string, Entry> accounts;  // "region/account" -> index
  };
  StatusOr<std::shared_ptr<const ByKey>> Build(const KeyRecord& key);

  KeyStore& keys_;
  std::array<Shard, 16> shards_;
};

}  // namespace coffer::kms
