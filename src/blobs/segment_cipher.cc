#include "blobs/segment_cipher.h"

#include <algorithm>

#include "crypto/crypto.h"

namespace coffer::blobs::internal {
namespace {

Status CheckKeyLen(const SecretBytes* key, std::string_view field) {
  if (key == nullptr || key->size() == kCallerKeyLen) return Status::Ok();
  return ValidationError("blob keys: " + std::string(field) + " must be 32 bytes");
}

// HKDF-SHA256 with an info string that names the purpose and the blob.
StatusOr<std::unique_ptr<crypto::AesGcmKey>> DeriveKey(ByteView ikm, std::string_view purpose,
                                                       std::string_view id) {
  const std::string info = "coffer:" + std::string(purpose) + ":v2:" + std::string(id);
  ASSIGN_OR_RETURN(const SecretBytes key, crypto::HkdfSha256(ikm, {}, AsBytes(info), kDataKeyLen));
  return crypto::AesGcmKey::Create(key.view());
}

StatusOr<std::unique_ptr<crypto::AesGcmKey>> ObjectLayerKey(const SecretBytes& data_key,
                                                            const SecretBytes& object_key,
                                                            std::string_view id) {
  SecretBytes ikm(data_key.size() + object_key.size());
  std::copy(data_key.view().begin(), data_key.view().end(), ikm.data());
  std::copy(object_key.view().begin(), object_key.view().end(), ikm.data() + data_key.size());
  return DeriveKey(ikm.view(), "blob-object-key", id);
}

Status LayerFailed(bool callers, std::string_view which) {
  return {callers ? ErrorCode::kAccessDenied : ErrorCode::kInternal,
          std::string(which) + " layer does not verify"};
}

}  // namespace

StatusOr<Layer> LayerFor(const BlobKeys& keys) {
  RETURN_IF_ERROR(CheckKeyLen(keys.object_key, "object_key"));
  RETURN_IF_ERROR(CheckKeyLen(keys.inner_key, "inner_key"));
  if (keys.object_key != nullptr && keys.inner_key != nullptr) {
    return ValidationError("blob keys: object_key and inner_key cannot both be given");
  }
  if (keys.object_key != nullptr) return Layer::kObjectKey;
  if (keys.inner_key != nullptr) return Layer::kDouble;
  return Layer::kRootOnly;
}

SegmentCipher::SegmentCipher(std::string id, std::unique_ptr<crypto::AesGcmKey> outer, bool outer_is_callers,
                             std::unique_ptr<crypto::AesGcmKey> inner, std::size_t segment_bytes)
    : id_(std::move(id)),
      outer_(std::move(outer)),
      outer_is_callers_(outer_is_callers),
      inner_(std::move(inner)),
      middle_(inner_ ? segment_bytes + kTagLen : 0) {}

SegmentCipher::~SegmentCipher() = default;

StatusOr<std::unique_ptr<SegmentCipher>> SegmentCipher::Create(std::string_view id, Layer layer,
                                                               const SecretBytes& data_key,
                                                               const BlobKeys& keys,
                                                               std::size_t segment_bytes) {
  std::unique_ptr<crypto::AesGcmKey> outer;
  std::unique_ptr<crypto::AesGcmKey> inner;
  if (layer == Layer::kObjectKey) {
    ASSIGN_OR_RETURN(outer, ObjectLayerKey(data_key, *keys.object_key, id));
  } else {
    ASSIGN_OR_RETURN(outer, crypto::AesGcmKey::Create(data_key.view()));
  }
  if (layer == Layer::kDouble) {
    ASSIGN_OR_RETURN(inner, DeriveKey(keys.inner_key->view(), "blob-inner-key", id));
  }
  return std::unique_ptr<SegmentCipher>(new SegmentCipher(
      std::string(id), std::move(outer), layer == Layer::kObjectKey, std::move(inner), segment_bytes));
}

Status SegmentCipher::Seal(const SegmentPosition& at, ByteView plain, std::span<std::uint8_t> out_sealed) {
  ByteView outer_plain = plain;
  if (inner_) {
    const std::span<std::uint8_t> middle(middle_.data(), plain.size() + kTagLen);
    RETURN_IF_ERROR(inner_->Seal(SegmentNonce(SegmentLayer::kInner, at.index),
                                 SegmentAad(SegmentLayer::kInner, id_, at), plain, middle.first(plain.size()),
                                 middle.subspan(plain.size()).first<kTagLen>()));
    outer_plain = middle;
  }
  const std::size_t len = outer_plain.size();
  return outer_->Seal(SegmentNonce(SegmentLayer::kOuter, at.index), SegmentAad(SegmentLayer::kOuter, id_, at),
                      outer_plain, out_sealed.first(len), out_sealed.subspan(len).first<kTagLen>());
}

Status SegmentCipher::Open(const SegmentPosition& at, ByteView sealed, std::span<std::uint8_t> out_plain) {
  const std::size_t outer_len = sealed.size() - kTagLen;
  const std::span<std::uint8_t> outer_out =
      inner_ ? std::span<std::uint8_t>(middle_.data(), outer_len) : out_plain.first(outer_len);
  if (!outer_
           ->Open(SegmentNonce(SegmentLayer::kOuter, at.index), SegmentAad(SegmentLayer::kOuter, id_, at),
                  sealed.first(outer_len), sealed.subspan(outer_len), outer_out)
           .ok()) {
    return LayerFailed(outer_is_callers_, "outer");
  }
  if (!inner_) return Status::Ok();
  const std::size_t len = outer_len - kTagLen;
  if (!inner_
           ->Open(SegmentNonce(SegmentLayer::kInner, at.index), SegmentAad(SegmentLayer::kInner, id_, at),
                  outer_out.first(len), outer_out.subspan(len), out_plain.first(len))
           .ok()) {
    return LayerFailed(/*callers=*/true, "inner");
  }
  return Status::Ok();
}

}  // namespace coffer::blobs::internal
