#include "ssm/envelope.h"

#include <array>

#include "crypto/crypto.h"

namespace coffer::ssm {
namespace {

constexpr std::string_view kMagic = "CPE1";
constexpr std::array<std::uint8_t, crypto::kGcmIvLen> kZeroIv{};

}  // namespace

StatusOr<Bytes> SealEnvelope(ByteView data_key, ByteView wrapped_key, std::string_view arn,
                             ByteView plaintext) {
  if (wrapped_key.size() > 0xffff) return InternalError("a wrapped data key is too long");
  Bytes out(kMagic.begin(), kMagic.end());
  out.push_back(static_cast<std::uint8_t>(wrapped_key.size() >> 8));
  out.push_back(static_cast<std::uint8_t>(wrapped_key.size() & 0xff));
  out.insert(out.end(), wrapped_key.begin(), wrapped_key.end());
  const std::size_t at = out.size();
  out.resize(at + plaintext.size() + crypto::kGcmTagLen);
  RETURN_IF_ERROR(crypto::AesGcmSeal(
      data_key, kZeroIv, AsBytes(arn), plaintext, std::span(out.data() + at, plaintext.size()),
      std::span<std::uint8_t, crypto::kGcmTagLen>(out.data() + at + plaintext.size(), crypto::kGcmTagLen)));
  return out;
}

StatusOr<Envelope> ParseEnvelope(ByteView blob) {
  const std::size_t head = kMagic.size() + 2;
  if (blob.size() < head ||
      std::string_view(reinterpret_cast<const char*>(blob.data()), kMagic.size()) != kMagic) {
    return InternalError("a stored SecureString envelope is malformed");
  }
  const std::size_t key_len = (std::size_t{blob[kMagic.size()]} << 8) | blob[kMagic.size() + 1];
  if (blob.size() < head + key_len + crypto::kGcmTagLen) {
    return InternalError("a stored SecureString envelope is truncated");
  }
  Envelope env;
  env.wrapped_key.assign(blob.begin() + head, blob.begin() + head + key_len);
  env.ciphertext.assign(blob.begin() + head + key_len, blob.end());
  return env;
}

StatusOr<std::string> OpenEnvelope(ByteView data_key, const Envelope& env, std::string_view arn) {
  const std::size_t n = env.ciphertext.size() - crypto::kGcmTagLen;
  std::string plain(n, '\0');
  RETURN_IF_ERROR(crypto::AesGcmOpen(data_key, kZeroIv, AsBytes(arn), ByteView(env.ciphertext.data(), n),
                                     ByteView(env.ciphertext.data() + n, crypto::kGcmTagLen),
                                     std::span(reinterpret_cast<std::uint8_t*>(plain.data()), n)));
  return plain;
}

}  // namespace coffer::ssm
