// Durable, encrypted-at-rest storage of large byte streams (S3 object bodies
// and multipart parts), written and read in segments so memory stays bounded
// by one segment however large the blob is.
//
// On disk (FileBlobStore, format version 3; docs/blobs.md):
//   dir/<first 2 hex of id>/<id>    a committed blob, mode 0600
//   dir/tmp/<id>.partial             a blob being written; removed on open
// Several processes may share one directory (cluster nodes on shared storage,
// FileBlobStoreOptions::shared): ids are 128 random bits, a writer creates its
// .partial with O_EXCL, fsyncs it and renames it into place (atomic), and the
// 256 shard directories exist from open on, so a reader sees a whole committed
// blob or nothing, and no commit depends on another process's mkdir.
// A blob file is a header followed by its segments:
//   "CFBL" | u8 version (3) | u8 layer | u32 segment_bytes | u32 key_version |
//   u16 wrapped_len | wrapped data key | u64 plaintext size
//   segment 0 | segment 1 | ... | final segment
// (version 2 files have no key_version; version 1 files, without the layer
// byte either, still open with no keys). All integers are big-endian. The
// data key is 32 random bytes, one per blob, wrapped under version
// `key_version` of the store's BlobKeyring (keyring.h; the S3 service key)
// with AAD "coffer:blob-data-key:v3:<id>:<segment_bytes>:<layer>:<key_version>"
// (v1 and v2: under the root key, "coffer:blob-data-key:v2:<id>:..."), so a
// file moved to another id's path, or with another segment size, layer or
// key version, does not open.
// Each segment is AES-256-GCM ciphertext | 16-byte tag of `segment_bytes`
// plaintext (the final one 0..segment_bytes; a blob has at least one segment,
// so an empty blob is one empty final segment) under the layer's outer key, with
//   nonce = 00 00 00 00 | u64 segment index
//   AAD   = "coffer:blob-segment:v1" | u8 id_len | id | u64 index | u8 final
//           | u64 plaintext size (final segment only; 0 otherwise)
// so reordered, dropped, truncated or appended segments fail authentication.
// Layer 1 derives the outer key from the data key and BlobKeys::object_key;
// layer 2 first seals each segment under a key derived from
// BlobKeys::inner_key (nonce prefix 00 00 00 01, AAD label
// "coffer:blob-inner-segment:v2"), then under the data key.
// Open checks the file length against the recorded size and authenticates the
// final segment, so size() and the caller's keys are verified without reading
// the whole blob.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "blobs/keyring.h"
#include "common/random.h"
#include "common/secret_bytes.h"
#include "common/status_or.h"
#include "rootkey/root_key.h"

namespace coffer::blobs {

struct BlobInfo {
  std::string id;
  std::uint64_t size = 0;
};

// Streams one new blob to storage. Not thread-safe: one writer per blob.
// Destroying a writer without a successful Commit discards everything written.
// After any error the writer refuses further calls (kInternal).
class BlobWriter {
 public:
  virtual ~BlobWriter() = default;
  // Appends `data`. At most one segment of plaintext is held in memory.
  virtual Status Write(std::string_view data) = 0;
  // Seals the final segment and makes the blob durable (file fsync, rename,
  // directory fsync) before returning; then the blob is visible to Open.
  virtual StatusOr<BlobInfo> Commit() = 0;
};

// Random access to a committed blob. Not thread-safe: one reader per thread.
class BlobReader {
 public:
  virtual ~BlobReader() = default;
  // The plaintext size, checked at open against the file and the final segment.
  virtual std::uint64_t size() const = 0;
  // Reads up to out.size() bytes at `offset`, decrypting and authenticating
  // only the segments it touches. Returns the bytes read: fewer than asked
  // only at the end of the blob, 0 at or past the end. On any failure
  // (kInternal "blob <id> failed authentication ...") nothing is returned and
  // the bytes already copied into `out` are wiped.
  virtual StatusOr<std::size_t> ReadAt(std::uint64_t offset, std::span<char> out) = 0;
};

// Keys the caller holds, beyond the root key, that a blob is bound to. Not stored anywhere by the
// blob store; the caller must present the same keys to Open.
struct BlobKeys {
  // SSE-KMS / SSE-C: 32 bytes. The segment key is derived from this key and the blob's own
  // root-wrapped key (HKDF-SHA256, info binding the blob id), so the blob opens only with both.
  const SecretBytes* object_key = nullptr;
  // DSSE-KMS: 32 bytes. Every segment is sealed twice: an inner AES-256-GCM layer under a key
  // derived from this key alone, then the outer layer as above. Requires object_key to be null.
  const SecretBytes* inner_key = nullptr;
};

class BlobStore {
 public:
  virtual ~BlobStore() = default;
  // A writer for a new blob with a fresh random id (32 lower-case hex chars),
  // bound to `keys` (which need only outlive this call). kValidation when a
  // key is not 32 bytes or both keys are given.
  virtual StatusOr<std::unique_ptr<BlobWriter>> Create(const BlobKeys& keys) = 0;
  StatusOr<std::unique_ptr<BlobWriter>> Create() { return Create(BlobKeys{}); }
  // kNotFound when no committed blob has this id; kValidation for a string that
  // is not a blob id or a key that is not 32 bytes; kAccessDenied ("blob <id>:
  // the key given does not open it") when `keys` are not the ones the blob was
  // created with (missing, extra, swapped or different keys); kInternal when
  // the file fails its checks (wrong format, tampered, another root key, an
  // unknown keyring version); the keyring's own error when it cannot be read.
  virtual StatusOr<std::unique_ptr<BlobReader>> Open(std::string_view id, const BlobKeys& keys) = 0;
  StatusOr<std::unique_ptr<BlobReader>> Open(std::string_view id) { return Open(id, BlobKeys{}); }
  // Deletes the blob durably. An absent blob is not an error.
  virtual Status Remove(std::string_view id) = 0;
  // Deletes the blob without waiting for the deletion to reach the disk (no
  // directory fsync): after a crash the file may be back, as a blob no record
  // names, for the orphan pass (s3::RemoveOrphanBlobs). For blobs whose
  // record is already gone, on paths that answer a client. An absent blob is
  // not an error.
  virtual Status Discard(std::string_view id) = 0;
  // Ids of every committed blob, in no particular order (for garbage
  // collection of blobs no record points at).
  virtual StatusOr<std::vector<std::string>> List() = 0;
};

struct FileBlobStoreOptions {
  std::string dir;
  // Plaintext bytes per segment: 1 byte to 16 MiB.
  std::size_t segment_bytes = std::size_t{64} * 1024;
  // Other processes write to `dir` too: open removes only the .partial files
  // older than kSharedPartialAge, since a younger one may be another
  // process's upload in progress.
  bool shared = false;
};

inline constexpr std::chrono::hours kSharedPartialAge{24};

inline constexpr std::size_t kMaxSegmentBytes = std::size_t{16} * 1024 * 1024;

// Creates `dir` (mode 0700), `dir/tmp` and the shard directories when missing
// and removes `.partial` files a crash left behind (in a shared directory,
// those older than kSharedPartialAge). `root`, `keyring` and `random` must
// outlive the store and every reader and writer it hands out.
// New blobs are format 3, their data keys wrapped under the keyring's current
// version; version 1 and 2 files still open through `root`.
StatusOr<std::unique_ptr<BlobStore>> OpenFileBlobStore(const FileBlobStoreOptions& options,
                                                       const rootkey::RootKey& root, BlobKeyring& keyring,
                                                       RandomSource& random);
// Without a keyring: new blobs are format 2, their data keys wrapped under the
// root key itself; a format 3 file does not open (kInternal).
StatusOr<std::unique_ptr<BlobStore>> OpenFileBlobStore(const FileBlobStoreOptions& options,
                                                       const rootkey::RootKey& root, RandomSource& random);

}  // namespace coffer::blobs
