#include "envelope/body.h"

#include <algorithm>
#include <array>
#include <string_view>

#include "crypto/crypto.h"
#include "envelope/wire.h"

namespace coffer::envelope {
namespace {

constexpr std::string_view kFrameString = "AWSKMSEncryptionClient Frame";
constexpr std::string_view kFinalFrameString = "AWSKMSEncryptionClient Final Frame";
constexpr std::string_view kSingleBlockString = "AWSKMSEncryptionClient Single Block";
constexpr std::uint32_t kFinalFrameMarker = 0xFFFFFFFF;
constexpr std::uint64_t kMaxNonFramedLen = (std::uint64_t{1} << 36) - 32;

Bytes BodyAad(ByteView message_id, std::string_view content, std::uint32_t seq, std::uint64_t len) {
  Bytes aad(message_id.begin(), message_id.end());
  AppendBytes(aad, AsBytes(content));
  AppendU32(aad, seq);
  AppendU64(aad, len);
  return aad;
}

// Writers use the sequence number, left-padded with zeros, as the IV.
std::array<std::uint8_t, kIvLen> SequenceIv(std::uint32_t seq) {
  std::array<std::uint8_t, kIvLen> iv{};
  for (int i = 0; i < 4; ++i) iv[kIvLen - 1 - i] = static_cast<std::uint8_t>(seq >> (8 * i));
  return iv;
}

Status SealInto(ByteView key, ByteView iv, ByteView aad, ByteView plaintext, Bytes& out) {
  const std::size_t at = out.size();
  out.resize(at + plaintext.size() + kTagLen);
  std::span<std::uint8_t> dst(out.data() + at, plaintext.size() + kTagLen);
  return crypto::AesGcmSeal(key, iv, aad, plaintext, dst.first(plaintext.size()),
                            dst.subspan(plaintext.size()).first<kTagLen>());
}

struct FrameFields {
  ByteView iv, ciphertext, tag;
};

Status OpenFrame(ByteView key, ByteView aad, const FrameFields& f, SecretBytes& out, std::size_t& out_len) {
  if (out.size() - out_len < f.ciphertext.size()) return InternalError("plaintext buffer too small");
  RETURN_IF_ERROR(crypto::AesGcmOpen(key, f.iv, aad, f.ciphertext, f.tag,
                                     out.mutable_view().subspan(out_len, f.ciphertext.size())));
  out_len += f.ciphertext.size();
  return Status::Ok();
}

Status DecryptNonFramed(const MessageHeader& header, ByteView key, Cursor& cursor, SecretBytes& out,
                        std::size_t& out_len) {
  FrameFields f;
  std::uint64_t len = 0;
  if (!cursor.ReadBytes(kIvLen, &f.iv)) return Malformed("body IV");
  if (!cursor.ReadU64(&len)) return Malformed("body content length");
  if (len > kMaxNonFramedLen) return Malformed("non-framed content longer than 2^36 - 32 bytes");
  if (!cursor.ReadBytes(static_cast<std::size_t>(len), &f.ciphertext)) return Malformed("body content");
  if (!cursor.ReadBytes(kTagLen, &f.tag)) return Malformed("body tag");
  return OpenFrame(key, BodyAad(header.message_id, kSingleBlockString, 1, len), f, out, out_len);
}

// One frame; sets `final` when it was the final frame.
Status DecryptFrame(const MessageHeader& header, ByteView key, std::uint32_t seq, Cursor& cursor,
                    SecretBytes& out, std::size_t& out_len, bool& final) {
  std::uint32_t first = 0, read_seq = 0, len = header.frame_length;
  if (!cursor.ReadU32(&first)) return Malformed("frame sequence number");
  final = first == kFinalFrameMarker;
  if (final && !cursor.ReadU32(&read_seq)) return Malformed("final frame sequence number");
  if (!final) read_seq = first;
  if (read_seq != seq) return Malformed("frame out of sequence");
  FrameFields f;
  if (!cursor.ReadBytes(kIvLen, &f.iv)) return Malformed("frame IV");
  if (final && !cursor.ReadU32(&len)) return Malformed("final frame content length");
  if (len > header.frame_length) return Malformed("final frame longer than the frame length");
  if (!cursor.ReadBytes(len, &f.ciphertext)) return Malformed("frame content");
  if (!cursor.ReadBytes(kTagLen, &f.tag)) return Malformed("frame tag");
  const std::string_view label = final ? kFinalFrameString : kFrameString;
  return OpenFrame(key, BodyAad(header.message_id, label, seq, len), f, out, out_len);
}

Status DecryptFramed(const MessageHeader& header, ByteView key, Cursor& cursor, SecretBytes& out,
                     std::size_t& out_len) {
  bool final = false;
  for (std::uint32_t seq = 1; !final; ++seq) {
    if (seq == kFinalFrameMarker) return Malformed("too many frames");
    RETURN_IF_ERROR(DecryptFrame(header, key, seq, cursor, out, out_len, final));
  }
  return Status::Ok();
}

}  // namespace

StatusOr<SecretBytes> DeriveContentKey(const SuiteInfo& suite, ByteView data_key, ByteView message_id) {
  Bytes info;
  AppendU16(info, static_cast<std::uint16_t>(suite.id));
  switch (suite.kdf) {
    case Kdf::kIdentity:
      return SecretBytes(data_key);
    case Kdf::kHkdfSha256:
      AppendBytes(info, message_id);
      return crypto::Hkdf(crypto::HashAlg::kSha256, data_key, {}, info, suite.key_len);
    case Kdf::kHkdfSha384:
      AppendBytes(info, message_id);
      return crypto::Hkdf(crypto::HashAlg::kSha384, data_key, {}, info, suite.key_len);
    case Kdf::kHkdfSha512:
      AppendBytes(info, AsBytes("DERIVEKEY"));
      return crypto::Hkdf(crypto::HashAlg::kSha512, data_key, message_id, info, suite.key_len);
  }
  return InternalError("unknown KDF");
}

StatusOr<SecretBytes> DeriveCommitKey(ByteView data_key, ByteView message_id) {
  return crypto::Hkdf(crypto::HashAlg::kSha512, data_key, message_id, AsBytes("COMMITKEY"), kCommitKeyLen);
}

StatusOr<Bytes> ComputeHeaderTag(const MessageHeader& header, ByteView key, ByteView auth_only_context) {
  Bytes aad = header.body;
  AppendBytes(aad, auth_only_context);
  Bytes tag;
  RETURN_IF_ERROR(SealInto(key, header.auth_iv, aad, {}, tag));
  return tag;
}

Status VerifyHeaderTag(const MessageHeader& header, ByteView key, ByteView auth_only_context) {
  Bytes aad = header.body;
  AppendBytes(aad, auth_only_context);
  Status status = crypto::AesGcmOpen(key, header.auth_iv, aad, {}, header.auth_tag, {});
  if (!status.ok()) return {ErrorCode::kInvalidCiphertext, "header authentication failed"};
  return Status::Ok();
}

Status EncryptBody(const MessageHeader& header, ByteView key, ByteView plaintext, Bytes& out) {
  if (header.content_type == ContentType::kNonFramed) {
    if (plaintext.size() > kMaxNonFramedLen)
      return ValidationError("plaintext too long for a non-framed body");
    const auto iv = SequenceIv(1);
    AppendBytes(out, iv);
    AppendU64(out, plaintext.size());
    return SealInto(key, iv, BodyAad(header.message_id, kSingleBlockString, 1, plaintext.size()), plaintext,
                    out);
  }
  const std::size_t frame = header.frame_length;
  std::uint32_t seq = 1;
  for (; plaintext.size() > frame; ++seq, plaintext = plaintext.subspan(frame)) {
    if (seq == kFinalFrameMarker) return ValidationError("plaintext needs more than 2^32 - 2 frames");
    const auto iv = SequenceIv(seq);
    AppendU32(out, seq);
    AppendBytes(out, iv);
    RETURN_IF_ERROR(
        SealInto(key, iv, BodyAad(header.message_id, kFrameString, seq, frame), plaintext.first(frame), out));
  }
  const auto iv = SequenceIv(seq);
  AppendU32(out, kFinalFrameMarker);
  AppendU32(out, seq);
  AppendBytes(out, iv);
  AppendU32(out, static_cast<std::uint32_t>(plaintext.size()));
  return SealInto(key, iv, BodyAad(header.message_id, kFinalFrameString, seq, plaintext.size()), plaintext,
                  out);
}

Status DecryptBody(const MessageHeader& header, ByteView key, Cursor& cursor, SecretBytes& out_plaintext) {
  // Plaintext is never longer than the ciphertext that is left.
  out_plaintext = SecretBytes(cursor.remaining());
  std::size_t out_len = 0;
  Status status = header.content_type == ContentType::kNonFramed
                      ? DecryptNonFramed(header, key, cursor, out_plaintext, out_len)
                      : DecryptFramed(header, key, cursor, out_plaintext, out_len);
  if (!status.ok()) {
    out_plaintext.Wipe();
    return status;
  }
  out_plaintext.resize(out_len);
  return Status::Ok();
}

}  // namespace coffer::envelope
