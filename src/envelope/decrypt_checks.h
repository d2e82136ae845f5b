// The checks between a parsed header and its body: reproduced context,
// signing key presence, key commitment and the footer verifier.
#pragma once

#include <memory>

#include "crypto/primitives.h"
#include "envelope/header.h"

namespace coffer::envelope {

// The default CMM's handling of the reproduced context (plus the Required
// Encryption Context CMM's check): merges the pairs into `context` and
// returns the serialized pairs that were authenticated but not stored.
StatusOr<Bytes> MergeReproducedContext(const DecryptOptions& options, EncryptionContext& context);

// A signed suite carries a public key in its context, an unsigned one none.
Status CheckSigningKeyPresence(const SuiteInfo& suite, const EncryptionContext& context);

// The content key from the unwrapped data key, after checking its length
// and (committing suites) the key commitment.
StatusOr<SecretBytes> ContentKey(const MessageHeader& header, const DecryptionMaterials& materials);

// The footer verifier from the context's public key.
StatusOr<std::unique_ptr<crypto::EcdsaVerifier>> Verifier(const SuiteInfo& suite,
                                                          const EncryptionContext& context);

}  // namespace coffer::envelope
