// The caching CMM (framework/caching-cmm.md) over a local LRU cache (the
// SDK's LocalCryptoMaterialsCache): repeated encrypts reuse one data key, so
// one KMS call serves many messages, within security thresholds.
//
// Semantics, as the SDKs: encryption materials are cached only when the
// request states the plaintext length (EncryptOptions::plaintext_length; the
// one-shot Encrypt does) and the suite has a KDF (never for the 0x0014,
// 0x0046, 0x0078 identity-KDF suites). Entries are partitioned by partition
// name, algorithm suite and encryption context (decrypt entries also by the
// EDKs), so a different context never gets another context's key. An entry
// is used while younger than max_age and while the messages and bytes
// encrypted under it, counting this request, stay within max_messages and
// max_bytes; otherwise it is evicted and fresh materials are fetched. A
// request larger than max_bytes bypasses the cache. Signed suites cache the
// signing key with the data key, as the SDKs do.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "coffer/envelope.h"
#include "common/clock.h"

namespace coffer::envelope {

struct CachingCmmOptions {
  std::chrono::nanoseconds max_age{0};                     // required, > 0
  std::uint64_t max_bytes = (std::uint64_t{1} << 63) - 1;  // per data key
  std::uint64_t max_messages = std::uint64_t{1} << 32;     // per data key, at most 2^32
  std::size_t capacity = 1000;                             // entries, least recently used evicted
  std::string partition;                                   // empty: a random one per CMM
};

struct CacheStats {
  std::uint64_t hits = 0;
  std::uint64_t misses = 0;
  std::size_t entries = 0;
};

class CachingCmm : public CryptoMaterialsManager {
 public:
  virtual CacheStats stats() const = 0;
};

// `clock` must outlive the CMM. Thread-safe.
StatusOr<std::unique_ptr<CachingCmm>> NewCachingCmm(std::shared_ptr<CryptoMaterialsManager> underlying,
                                                    CachingCmmOptions options, const Clock& clock);

}  // namespace coffer::envelope
