// The algorithm suite table: one row per suite, every property the message
// format and key derivation need.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "coffer/envelope.h"
#include "crypto/primitives.h"

namespace coffer::envelope {

enum class Kdf : std::uint8_t { kIdentity, kHkdfSha256, kHkdfSha384, kHkdfSha512 };

struct SuiteInfo {
  SuiteId id;
  std::uint8_t message_version;  // 1 or 2
  std::size_t key_len;           // AES key and data key length
  Kdf kdf;
  bool committing;
  std::optional<crypto::EcCurve> signature_curve;
};

inline constexpr std::size_t kIvLen = 12;
inline constexpr std::size_t kTagLen = 16;
inline constexpr std::size_t kCommitKeyLen = 32;

// nullptr for an id that names no ESDK suite.
const SuiteInfo* FindSuite(std::uint16_t wire_id);
const SuiteInfo& GetSuite(SuiteId id);

std::size_t MessageIdLen(const SuiteInfo& suite);
// The hash the footer signature covers the message with.
crypto::HashAlg SignatureHash(crypto::EcCurve curve);

// Whether the policy lets a message with this suite be decrypted / encrypted.
bool DecryptAllowed(CommitmentPolicy policy, const SuiteInfo& suite);
bool EncryptAllowed(CommitmentPolicy policy, const SuiteInfo& suite);

}  // namespace coffer::envelope
