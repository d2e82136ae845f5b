#include "kms/ciphertext.h"

#include "common/cursor.h"
#include "crypto/crypto.h"

namespace coffer::kms {
namespace {

constexpr std::string_view kHkdfInfo = "coffer kms symmetric ciphertext v1";

Status Invalid() {
  return {ErrorCode::kInvalidCiphertext, "The ciphertext is invalid or was not produced by this service"};
}

void AppendU16Prefixed(Bytes& out, std::string_view s) {
  out.push_back(static_cast<std::uint8_t>(s.size() >> 8));
  out.push_back(static_cast<std::uint8_t>(s.size()));
  out.insert(out.end(), s.begin(), s.end());
}

using ParsedBlob = CiphertextParts;

StatusOr<ParsedBlob> Parse(ByteView blob) {
  Cursor cursor(blob);
  ParsedBlob out;
  std::uint8_t format = 0;
  ByteView account, key_id, version_id;
  if (!cursor.ReadU8(&format) || format != kCiphertextFormat) return Invalid();
  if (!cursor.ReadU8LengthPrefixed(&account) || account.empty()) return Invalid();
  if (!cursor.ReadU8LengthPrefixed(&key_id) || key_id.empty()) return Invalid();
  if (!cursor.ReadBytes(kVersionIdLen, &version_id)) return Invalid();
  if (!cursor.ReadBytes(kSaltLen, &out.salt)) return Invalid();
  if (!cursor.ReadBytes(crypto::kGcmIvLen, &out.iv)) return Invalid();
  out.header_bytes = blob.subspan(0, cursor.consumed() - kSaltLen - crypto::kGcmIvLen);
  if (cursor.remaining() < crypto::kGcmTagLen) return Invalid();
  if (!cursor.ReadBytes(cursor.remaining() - crypto::kGcmTagLen, &out.ciphertext)) return Invalid();
  if (!cursor.ReadBytes(crypto::kGcmTagLen, &out.tag)) return Invalid();
  // Account ids are 12 digits and key ids printable ASCII: anything else was
  // not written by this service.
  for (std::uint8_t c : account) {
    if (c < '0' || c > '9') return Invalid();
  }
  for (std::uint8_t c : key_id) {
    if (c < 0x21 || c > 0x7e) return Invalid();
  }
  out.header.account = std::string(AsChars(account));
  out.header.key_id = std::string(AsChars(key_id));
  out.header.version_id.assign(version_id.begin(), version_id.end());
  return out;
}

std::size_t CanonicalSize(const EncryptionContext& context) {
  std::size_t size = 2;
  for (const auto& [key, value] : context) size += 4 + key.size() + value.size();
  return size;
}

void AppendCanonicalEncryptionContext(const EncryptionContext& context, Bytes& out) {
  out.push_back(static_cast<std::uint8_t>(context.size() >> 8));
  out.push_back(static_cast<std::uint8_t>(context.size()));
  for (const auto& [key, value] : context) {  // std::map iterates in key order
    AppendU16Prefixed(out, key);
    AppendU16Prefixed(out, value);
  }
}

// header || salt || iv || canonical encryption context, in one allocation.
Bytes BuildAad(ByteView header_bytes, ByteView salt, ByteView iv, const EncryptionContext& context) {
  Bytes aad;
  aad.reserve(header_bytes.size() + salt.size() + iv.size() + CanonicalSize(context));
  aad.insert(aad.end(), header_bytes.begin(), header_bytes.end());
  aad.insert(aad.end(), salt.begin(), salt.end());
  aad.insert(aad.end(), iv.begin(), iv.end());
  AppendCanonicalEncryptionContext(context, aad);
  return aad;
}

void AppendCiphertextHeader(const CiphertextHeader& header, Bytes& out) {
  out.push_back(kCiphertextFormat);
  out.push_back(static_cast<std::uint8_t>(header.account.size()));
  out.insert(out.end(), header.account.begin(), header.account.end());
  out.push_back(static_cast<std::uint8_t>(header.key_id.size()));
  out.insert(out.end(), header.key_id.begin(), header.key_id.end());
  out.insert(out.end(), header.version_id.begin(), header.version_id.end());
}

}  // namespace

Bytes CanonicalEncryptionContext(const EncryptionContext& context) {
  Bytes out;
  out.reserve(CanonicalSize(context));
  AppendCanonicalEncryptionContext(context, out);
  return out;
}

StatusOr<Bytes> SealCiphertext(const CiphertextHeader& header, const SecretBytes& backing_key,
                               const EncryptionContext& context, ByteView plaintext, RandomSource& random) {
  if (header.account.empty() || header.account.size() > 255 || header.key_id.empty() ||
      header.key_id.size() > 255 || header.version_id.size() != kVersionIdLen) {
    return InternalError("bad ciphertext header");
  }
  Bytes blob;
  blob.reserve(3 + header.account.size() + header.key_id.size() + kVersionIdLen + kSaltLen +
               crypto::kGcmIvLen + plaintext.size() + crypto::kGcmTagLen);
  AppendCiphertextHeader(header, blob);
  const std::size_t header_len = blob.size();
  blob.resize(header_len + kSaltLen + crypto::kGcmIvLen);
  RETURN_IF_ERROR(random.Fill(std::span(blob.data() + header_len, kSaltLen + crypto::kGcmIvLen)));
  const ByteView salt(blob.data() + header_len, kSaltLen);
  const ByteView iv(blob.data() + header_len + kSaltLen, crypto::kGcmIvLen);
  const Bytes aad = BuildAad(ByteView(blob.data(), header_len), salt, iv, context);
  ASSIGN_OR_RETURN(SecretBytes message_key,
                   crypto::HkdfSha256(backing_key.view(), salt, AsBytes(kHkdfInfo), 32));
  const std::size_t ct_offset = blob.size();
  blob.resize(ct_offset + plaintext.size() + crypto::kGcmTagLen);
  // Views into `blob` are re-taken after resize, which may have moved it.
  RETURN_IF_ERROR(crypto::AesGcmSeal(message_key.view(),
                                     ByteView(blob.data() + header_len + kSaltLen, crypto::kGcmIvLen), aad,
                                     plaintext, std::span(blob.data() + ct_offset, plaintext.size()),
                                     std::span<std::uint8_t, crypto::kGcmTagLen>(
                                         blob.data() + ct_offset + plaintext.size(), crypto::kGcmTagLen)));
  return blob;
}

Bytes EncodeCiphertextHeader(const CiphertextHeader& header) {
  Bytes out;
  out.reserve(3 + header.account.size() + header.key_id.size() + header.version_id.size());
  AppendCiphertextHeader(header, out);
  return out;
}

StatusOr<CiphertextParts> SplitCiphertext(ByteView blob) { return Parse(blob); }

Bytes CiphertextAad(ByteView header_bytes, ByteView salt, ByteView iv, const EncryptionContext& context) {
  return BuildAad(header_bytes, salt, iv, context);
}

StatusOr<CiphertextHeader> ParseCiphertextHeader(ByteView blob) {
  ASSIGN_OR_RETURN(ParsedBlob parsed, Parse(blob));
  return std::move(parsed.header);
}

StatusOr<SecretBytes> OpenCiphertext(ByteView blob, const SecretBytes& backing_key,
                                     const EncryptionContext& context) {
  ASSIGN_OR_RETURN(ParsedBlob parsed, Parse(blob));
  const Bytes aad = BuildAad(parsed.header_bytes, parsed.salt, parsed.iv, context);
  ASSIGN_OR_RETURN(SecretBytes message_key,
                   crypto::HkdfSha256(backing_key.view(), parsed.salt, AsBytes(kHkdfInfo), 32));
  SecretBytes plaintext(parsed.ciphertext.size());
  Status st = crypto::AesGcmOpen(message_key.view(), parsed.iv, aad, parsed.ciphertext, parsed.tag,
                                 plaintext.mutable_view());
  if (!st.ok()) return Invalid();
  return plaintext;
}

}  // namespace coffer::kms
