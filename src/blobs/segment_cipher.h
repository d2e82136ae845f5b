// The keys that seal one blob's segments, by layer (docs/blobs.md), and the
// sealing and opening of a segment through one or two AES-256-GCM layers.
// Internal to src/blobs.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "blobs/blob_store.h"
#include "blobs/format.h"
#include "common/bytes.h"
#include "common/secret_bytes.h"
#include "common/status_or.h"
#include "crypto/aead_key.h"

namespace coffer::blobs::internal {

// The layer `keys` select. kValidation naming the field when a key is not
// 32 bytes, or when both keys are given.
StatusOr<Layer> LayerFor(const BlobKeys& keys);

// Seals and opens the segments of one blob. Keys are derived once, at Create:
//   kRootOnly   outer = data key
//   kObjectKey  outer = HKDF-SHA256(data key | object key, "coffer:blob-object-key:v2:" id)
//   kDouble     inner = HKDF-SHA256(inner key, "coffer:blob-inner-key:v2:" id), outer = data key
// Holds at most one segment of inner ciphertext (kDouble only). Not thread-safe.
class SegmentCipher {
 public:
  // `keys` must select `layer` (LayerFor(keys) == layer); they need only
  // outlive this call.
  static StatusOr<std::unique_ptr<SegmentCipher>> Create(std::string_view id, Layer layer,
                                                         const SecretBytes& data_key, const BlobKeys& keys,
                                                         std::size_t segment_bytes);
  SegmentCipher(const SegmentCipher&) = delete;
  SegmentCipher& operator=(const SegmentCipher&) = delete;
  ~SegmentCipher();

  // Bytes a sealed segment adds to its plaintext: one tag per layer.
  std::size_t overhead() const { return inner_ ? 2 * kTagLen : kTagLen; }

  // out_sealed.size() must be plain.size() + overhead().
  Status Seal(const SegmentPosition& at, ByteView plain, std::span<std::uint8_t> out_sealed);
  // out_plain.size() must be sealed.size() - overhead(). On failure out_plain
  // is wiped and the status is kAccessDenied when the layer that failed is
  // keyed by the caller's key (a wrong key and a tampered segment look alike
  // there), kInternal when it is keyed by the data key alone.
  Status Open(const SegmentPosition& at, ByteView sealed, std::span<std::uint8_t> out_plain);

 private:
  SegmentCipher(std::string id, std::unique_ptr<crypto::AesGcmKey> outer, bool outer_is_callers,
                std::unique_ptr<crypto::AesGcmKey> inner, std::size_t segment_bytes);

  const std::string id_;
  std::unique_ptr<crypto::AesGcmKey> outer_;
  const bool outer_is_callers_;               // kObjectKey: the outer key needs the caller's key
  std::unique_ptr<crypto::AesGcmKey> inner_;  // kDouble only
  Bytes middle_;                              // kDouble: one segment's inner ciphertext | tag
};

}  // namespace coffer::blobs::internal
