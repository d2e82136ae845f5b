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

// The body AAD (message id, content string, sequence number, length), on
// the stack: it is built once per frame.
class BodyAad {
 public:
  BodyAad(ByteView message_id, std::string_view content, std::uint32_t seq, std::uint64_t len) {
    Put(message_id);
    Put(AsBytes(content));
    for (int shift = 24; shift >= 0; shift -= 8) bytes_[len_++] = static_cast<std::uint8_t>(seq >> shift);
    for (int shift = 56; shift >= 0; shift -= 8) bytes_[len_++] = static_cast<std::uint8_t>(len >> shift);
  }
  operator ByteView() const { return {bytes_.data(), len_}; }  // NOLINT(google-explicit-constructor)

 private:
  void Put(ByteView part) {
    part = part.first(std::min(part.size(), bytes_.size() - len_));  // never past the end
    std::copy(part.begin(), part.end(), bytes_.begin() + static_cast<std::ptrdiff_t>(len_));
    len_ += part.size();
  }
  // Message ids are at most 32 bytes, the longest content string 35.
  std::array<std::uint8_t, 32 + 35 + 4 + 8> bytes_{};
  std::size_t len_ = 0;
};

// Writers use the sequence number, left-padded with zeros, as the IV.
std::array<std::uint8_t, kIvLen> SequenceIv(std::uint32_t seq) {
  std::array<std::uint8_t, kIvLen> iv{};
  for (int i = 0; i < 4; ++i) iv[kIvLen - 1 - i] = static_cast<std::uint8_t>(seq >> (8 * i));
  return iv;
}

Status SealInto(crypto::AesGcmKey& key, ByteView iv, ByteView aad, ByteView plaintext, Bytes& out) {
  const std::size_t at = out.size();
  out.resize(at + plaintext.size() + kTagLen);
  std::span<std::uint8_t> dst(out.data() + at, plaintext.size() + kTagLen);
  return key.Seal(iv, aad, plaintext, dst.first(plaintext.size()),
                  dst.subspan(plaintext.size()).first<kTagLen>());
}

struct FrameFields {
  ByteView iv, ciphertext, tag;
  std::string_view label;
  std::uint64_t len = 0;
  bool final = false;
};

Status ReadNonFramed(Cursor& cursor, FrameFields& f) {
  if (!cursor.ReadBytes(kIvLen, &f.iv)) return Malformed("body IV");
  if (!cursor.ReadU64(&f.len)) return Malformed("body content length");
  if (f.len > kMaxNonFramedLen) return Malformed("non-framed content longer than 2^36 - 32 bytes");
  if (!cursor.ReadBytes(static_cast<std::size_t>(f.len), &f.ciphertext)) return Malformed("body content");
  if (!cursor.ReadBytes(kTagLen, &f.tag)) return Malformed("body tag");
  f.label = kSingleBlockString;
  f.final = true;
  return Status::Ok();
}

Status ReadFrame(const MessageHeader& header, std::uint32_t seq, Cursor& cursor, FrameFields& f) {
  if (seq == kFinalFrameMarker) return Malformed("too many frames");
  std::uint32_t first = 0, read_seq = 0, len = header.frame_length;
  if (!cursor.ReadU32(&first)) return Malformed("frame sequence number");
  f.final = first == kFinalFrameMarker;
  if (f.final && !cursor.ReadU32(&read_seq)) return Malformed("final frame sequence number");
  if (!f.final) read_seq = first;
  if (read_seq != seq) return Malformed("frame out of sequence");
  if (!cursor.ReadBytes(kIvLen, &f.iv)) return Malformed("frame IV");
  if (f.final && !cursor.ReadU32(&len)) return Malformed("final frame content length");
  if (len > header.frame_length) return Malformed("final frame longer than the frame length");
  if (!cursor.ReadBytes(len, &f.ciphertext)) return Malformed("frame content");
  if (!cursor.ReadBytes(kTagLen, &f.tag)) return Malformed("frame tag");
  f.label = f.final ? kFinalFrameString : kFrameString;
  f.len = len;
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
  Bytes tag(kTagLen);
  RETURN_IF_ERROR(
      crypto::AesGcmSeal(key, header.auth_iv, aad, {}, {}, std::span<std::uint8_t, kTagLen>(tag)));
  return tag;
}

Status VerifyHeaderTag(const MessageHeader& header, ByteView key, ByteView auth_only_context) {
  Bytes aad = header.body;
  AppendBytes(aad, auth_only_context);
  Status status = crypto::AesGcmOpen(key, header.auth_iv, aad, {}, header.auth_tag, {});
  if (!status.ok()) return {ErrorCode::kInvalidCiphertext, "header authentication failed"};
  return Status::Ok();
}

Status SealFrame(const MessageHeader& header, crypto::AesGcmKey& key, std::uint32_t seq, bool final,
                 ByteView plaintext, Bytes& out) {
  if (seq == kFinalFrameMarker || seq == 0)
    return ValidationError("plaintext needs more than 2^32 - 2 frames");
  if (plaintext.size() > header.frame_length || (!final && plaintext.size() != header.frame_length)) {
    return InternalError("frame content does not match the frame length");
  }
  const auto iv = SequenceIv(seq);
  if (final) AppendU32(out, kFinalFrameMarker);
  AppendU32(out, seq);
  AppendBytes(out, iv);
  if (final) AppendU32(out, static_cast<std::uint32_t>(plaintext.size()));
  const std::string_view label = final ? kFinalFrameString : kFrameString;
  return SealInto(key, iv, BodyAad(header.message_id, label, seq, plaintext.size()), plaintext, out);
}

Status SealNonFramed(const MessageHeader& header, crypto::AesGcmKey& key, ByteView plaintext, Bytes& out) {
  if (plaintext.size() > kMaxNonFramedLen) return ValidationError("plaintext too long for a non-framed body");
  const auto iv = SequenceIv(1);
  AppendBytes(out, iv);
  AppendU64(out, plaintext.size());
  return SealInto(key, iv, BodyAad(header.message_id, kSingleBlockString, 1, plaintext.size()), plaintext,
                  out);
}

StatusOr<OpenedFrame> OpenNextFrame(const MessageHeader& header, crypto::AesGcmKey& key, std::uint32_t seq,
                                    Cursor& cursor, SecretBuffer& out_plaintext) {
  Cursor probe = cursor;
  FrameFields f;
  Status status = header.content_type == ContentType::kNonFramed ? ReadNonFramed(probe, f)
                                                                 : ReadFrame(header, seq, probe, f);
  if (!status.ok()) {
    if (probe.truncated()) return OpenedFrame{false, true, std::move(status)};
    return status;
  }
  const std::size_t before = out_plaintext.size();
  status = key.Open(f.iv, BodyAad(header.message_id, f.label, seq, f.len), f.ciphertext, f.tag,
                    out_plaintext.Extend(f.ciphertext.size()));
  if (!status.ok()) {
    out_plaintext.Truncate(before);
    return status;
  }
  cursor = probe;
  return OpenedFrame{f.final, false, Status::Ok()};
}

Status EncryptBody(const MessageHeader& header, ByteView content_key, ByteView plaintext, Bytes& out) {
  ASSIGN_OR_RETURN(std::unique_ptr<crypto::AesGcmKey> key, crypto::AesGcmKey::Create(content_key));
  if (header.content_type == ContentType::kNonFramed) return SealNonFramed(header, *key, plaintext, out);
  const std::size_t frame = header.frame_length;
  std::uint32_t seq = 1;
  for (; plaintext.size() > frame; ++seq, plaintext = plaintext.subspan(frame)) {
    RETURN_IF_ERROR(SealFrame(header, *key, seq, false, plaintext.first(frame), out));
  }
  return SealFrame(header, *key, seq, true, plaintext, out);
}

Status DecryptBody(const MessageHeader& header, ByteView content_key, Cursor& cursor,
                   SecretBytes& out_plaintext) {
  ASSIGN_OR_RETURN(std::unique_ptr<crypto::AesGcmKey> key, crypto::AesGcmKey::Create(content_key));
  SecretBuffer all;
  for (std::uint32_t seq = 1;; ++seq) {
    auto opened = OpenNextFrame(header, *key, seq, cursor, all);
    if (opened.ok() && opened->need_more) return opened->missing;
    if (!opened.ok()) return opened.status();
    if (opened->final) break;
  }
  out_plaintext = SecretBytes(all.view());
  return Status::Ok();
}

}  // namespace coffer::envelope
