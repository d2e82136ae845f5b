// Keyrings, CMM and options from the command line.
#pragma once

#include <memory>

#include "cli/envelope_cmd.h"
#include "coffer/envelope.h"

namespace coffer::cli {

enum class Direction { kEncrypt, kDecrypt };

// KMS keyring (--key), discovery (--discovery), raw AES, raw RSA; several
// together form a multi-keyring (on encrypt the first is the generator).
StatusOr<std::shared_ptr<envelope::Keyring>> BuildKeyring(const EnvelopeArgs& args, Direction direction);

// k=v pairs; a repeated key or a pair without '=' is an error naming it.
StatusOr<envelope::EncryptionContext> ParseContextPairs(const std::vector<std::string>& pairs,
                                                        const char* flag);

StatusOr<envelope::EncryptOptions> BuildEncryptOptions(const EnvelopeArgs& args);
StatusOr<envelope::DecryptOptions> BuildDecryptOptions(const EnvelopeArgs& args);

// The default CMM, wrapped on decrypt to insist on --expect-context pairs
// before any key is unwrapped.
StatusOr<std::unique_ptr<envelope::CryptoMaterialsManager>> BuildCmm(
    std::shared_ptr<envelope::Keyring> keyring, envelope::EncryptionContext expected);

}  // namespace coffer::cli
