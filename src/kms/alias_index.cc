#include "kms/alias_index.h"

#include <algorithm>
#include <functional>

namespace coffer::kms {

StatusOr<std::vector<std::string>> AliasIndex::AliasesOf(const KeyRecord& key) {
  const std::string account = key.region + "/" + key.account;
  Shard& shard = shards_[std::hash<std::string>{}(account) % shards_.size()];
  // Read before the scan: a write committed during the scan moves it on, so
  // an index built from older data is never taken for current.
  const std::uint64_t generation = keys_.alias_generation();
  std::shared_ptr<const ByKey> by_key;
  {
    std::lock_guard lock(shard.mu);
    auto it = shard.accounts.find(account);
    if (it != shard.accounts.end() && it->second.generation == generation) by_key = it->second.by_key;
  }
  if (by_key == nullptr) {
    ASSIGN_OR_RETURN(by_key, Build(key));
    std::lock_guard lock(shard.mu);
    if (shard.accounts.size() > 4096) shard.accounts.clear();
    shard.accounts[account] = Entry{generation, by_key};
  }
  auto found = by_key->find(key.key_id);
  return found == by_key->end() ? std::vector<std::string>{} : found->second;
}

StatusOr<std::shared_ptr<const AliasIndex::ByKey>> AliasIndex::Build(const KeyRecord& key) {
  ASSIGN_OR_RETURN(std::vector<AliasRecord> aliases, keys_.AllAliases(key.region, key.account));
  auto by_key = std::make_shared<ByKey>();
  for (auto& alias : aliases) (*by_key)[alias.target_key_id].push_back(std::move(alias.alias_name));
  for (auto& [id, names] : *by_key) std::sort(names.begin(), names.end());
  return std::shared_ptr<const ByKey>(std::move(by_key));
}

}  // namespace coffer::kms
