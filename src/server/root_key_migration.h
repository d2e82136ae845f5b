// `coffer admin migrate-root-key`: moves every secret stored under the root
// key (KMS key material and import wrapping keys, IAM secret access keys,
// STS session secrets and tokens, the audit signing key, the S3 service key
// versions, the data keys in the headers of S3 blob files of formats 1 and 2;
// format 3 headers are under the S3 service key and stay as they are) from the data
// directory's current root key to another provider's. Each blob is rewrapped
// under its own aad (rootkey::Rewrapper) and written back in small durable
// transactions; blobs already under the new key are skipped, so a migration
// that was interrupted is finished by running it again. The server must be
// stopped while it runs.
#pragma once

#include <cstddef>
#include <ostream>
#include <string>

#include "common/status_or.h"
#include "server/app.h"

namespace coffer::server {

struct MigrationReport {
  std::size_t moved = 0;          // rewrapped by this run
  std::size_t already_moved = 0;  // found under the new key (an earlier run)
};

// `from`: the data directory and its current root key provider (with that
// provider's options). `to`: "file" or "pkcs11" (the pkcs11 options in
// `from.pkcs11`). After a complete run from the file provider the root key
// file is overwritten and removed (and the passphrase provider's salt file
// removed), so the data directory holds no root key. `progress`: where a
// progress bar is drawn (a terminal), or null.
StatusOr<MigrationReport> MigrateRootKey(const CoreOptions& from, const std::string& to,
                                         std::ostream* progress);

}  // namespace coffer::server
