// Helpers the keyrings share.
#pragma once

#include "coffer/envelope.h"
#include "envelope/suite.h"

namespace coffer::envelope {

// Generates the data key (suite key length) when the materials have none.
Status EnsureDataKey(EncryptionMaterials& materials);

inline Status NoMatchingKey(const char* keyring) {
  return {ErrorCode::kIncorrectKey, std::string(keyring) + ": no encrypted data key could be decrypted"};
}

inline Status KeyAlreadySet() { return InternalError("decryption materials already hold a data key"); }

}  // namespace coffer::envelope
