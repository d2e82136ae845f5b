// The file-backed writer and reader behind OpenFileBlobStore. Internal.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "blobs/blob_store.h"

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

// Starts `paths.TmpFile(id)` with a v2 header holding a fresh data key wrapped
// under `root` and the layer `keys` select; the file becomes
// `paths.BlobFile(id)` on Commit.
StatusOr<std::unique_ptr<BlobWriter>> NewFileBlobWriter(const StorePaths& paths, std::string id,
                                                        std::uint32_t segment_bytes,
                                                        const rootkey::RootKey& root, RandomSource& random,
                                                        const BlobKeys& keys);

// Opens a committed blob: checks the header, unwraps the data key, checks the
// layer against `keys`, checks the file length and authenticates the final
// segment. kNotFound when absent; kAccessDenied when `keys` do not open it.
StatusOr<std::unique_ptr<BlobReader>> OpenFileBlobReader(const StorePaths& paths, std::string_view id,
                                                         const rootkey::RootKey& root, const BlobKeys& keys);

}  // namespace coffer::blobs::internal
