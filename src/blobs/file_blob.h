// The file-backed writer and reader behind OpenFileBlobStore. Internal.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "blobs/blob_store.h"
#include "blobs/format.h"
#include "blobs/keyring.h"

namespace coffer::blobs::internal {

// Where a store keeps what (see blob_store.h).
struct StorePaths {
  std::filesystem::path dir;

  std::filesystem::path TmpDir() const { return dir / "tmp"; }
  std::filesystem::path TmpFile(std::string_view id) const {
    return TmpDir() / (std::string(id) + ".partial");
  }
  std::filesystem::path ShardDir(std::string_view id) const { return dir / std::string(id.substr(0, 2)); }
  std::filesystem::path BlobFile(std::string_view id) const { return ShardDir(id) / std::string(id); }
};

// What wraps the blobs' data keys: the root key (v1 and v2 files, and new
// files when there is no keyring) and the keyring (v3 files).
struct KeyWrapping {
  const rootkey::RootKey& root;
  BlobKeyring* keyring = nullptr;  // null: new blobs are written as v2
};

// Sets header->version (v3 with a keyring, else v2), header->key_version and
// header->wrapped_key: `data_key` wrapped under the keyring's current version
// or the root key, bound to DataKeyAad. The other fields must be set.
Status WrapDataKey(std::string_view id, const KeyWrapping& wrapping, const SecretBytes& data_key,
                   Header* header);
// The data key of a parsed header. kInternal "blob <id> failed
// authentication: ..." when it does not unwrap (another root key, another
// blob's header, a tampered wrapped key or key version, an unknown keyring
// version, a v3 file and no keyring); a keyring that cannot read its versions
// now passes its own error on (kUnavailable).
StatusOr<SecretBytes> UnwrapDataKey(std::string_view id, const KeyWrapping& wrapping, const Header& header);
Status AuthFailure(std::string_view id, std::string_view why);

// Starts `paths.TmpFile(id)` with a header holding a fresh data key wrapped
// as WrapDataKey does and the layer `keys` select; the file becomes
// `paths.BlobFile(id)` on Commit.
StatusOr<std::unique_ptr<BlobWriter>> NewFileBlobWriter(const StorePaths& paths, std::string id,
                                                        std::uint32_t segment_bytes,
                                                        const KeyWrapping& wrapping, RandomSource& random,
                                                        const BlobKeys& keys);

// Opens a committed blob: checks the header, unwraps the data key, checks the
// layer against `keys`, checks the file length and authenticates the final
// segment. kNotFound when absent; kAccessDenied when `keys` do not open it.
StatusOr<std::unique_ptr<BlobReader>> OpenFileBlobReader(const StorePaths& paths, std::string_view id,
                                                         const KeyWrapping& wrapping, const BlobKeys& keys);

}  // namespace coffer::blobs::internal
