// The audit digest signing key: ECDSA P-384, created on first start, stored in
// <audit dir>/signing-key.json wrapped under the root key (AAD names it), and
// its public half exported beside it as public-key.pem for auditors.
#pragma once

#include <filesystem>
#include <memory>

#include "common/files.h"
#include "crypto/signing_key.h"
#include "rootkey/root_key.h"

namespace coffer::audit {

// The aad of the signing key's wrapped PKCS#8 (kSigningKeyFile, field "wrapped").
inline constexpr std::string_view kSigningKeyWrapAad = "coffer:audit-signing-key:v1";

StatusOr<std::unique_ptr<crypto::P384SigningKey>> LoadOrCreateSigningKey(const std::filesystem::path& dir,
                                                                         const rootkey::RootKey& root_key);

// SHA-256 hex of a public key DER (digests name the key that signed them).
std::string KeyFingerprint(ByteView public_der);

}  // namespace coffer::audit
