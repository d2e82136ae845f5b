// Files that hold root key material or the secret that unlocks it (a key
// file, a passphrase salt, an HSM PIN): created 0600, refused when group or
// others may read or write them.
#pragma once

#include <filesystem>
#include <string_view>

#include "common/bytes.h"
#include "common/secret_bytes.h"
#include "common/status_or.h"

namespace coffer::rootkey {

// Writes a new file with mode 0600 that must not exist yet, and fsyncs it.
Status WriteNewPrivateFile(const std::filesystem::path& path, ByteView data);

// The whole file; kInternal when it is missing, unreadable or has any group
// or other permission bit (`what` names the file in that message).
StatusOr<SecretBytes> ReadPrivateFile(const std::filesystem::path& path, std::string_view what);

}  // namespace coffer::rootkey
