// Micro-benchmarks of Coffer's ciphertext path on 256-byte messages, to set
// against `openssl speed -evp aes-256-gcm -bytes 256` (bench/run.sh prints the
// ratio).
//
//   BM_AesGcmSeal/256       crypto::AesGcmSeal alone: one fresh EVP context,
//                           key setup, 12-byte IV, no AAD, 256 B, tag.
//   BM_SealCiphertext/256   kms::SealCiphertext: random salt + IV, HKDF-SHA256
//                           per-message key, header AAD, AES-256-GCM -- what
//                           Encrypt does per request after the key lookup.
//   BM_OpenCiphertext/256   kms::OpenCiphertext on a blob from the above
//                           (the Decrypt crypto path).
//   BM_HkdfSha256           the per-message key derivation alone.
#include <benchmark/benchmark.h>

#include <array>
#include <cstdint>
#include <cstdlib>

#include "common/bytes.h"
#include "common/secret_bytes.h"
#include "crypto/crypto.h"
#include "kms/ciphertext.h"

namespace {

using coffer::Bytes;
using coffer::ByteView;
using coffer::SecretBytes;

SecretBytes FixedKey() {
  SecretBytes key(32);
  for (std::size_t i = 0; i < key.size(); ++i) key.data()[i] = static_cast<std::uint8_t>(i * 7 + 1);
  return key;
}

coffer::kms::CiphertextHeader Header() {
  coffer::kms::CiphertextHeader h;
  h.account = "111122223333";
  h.key_id = "1234abcd-12ab-34cd-56ef-1234567890ab";
  h.version_id = Bytes(coffer::kms::kVersionIdLen, 0x5a);
  return h;
}

void Check(const coffer::Status& s, benchmark::State& state) {
  if (!s.ok()) state.SkipWithError("crypto call failed");
}

void BM_AesGcmSeal(benchmark::State& state) {
  const auto len = static_cast<std::size_t>(state.range(0));
  const SecretBytes key = FixedKey();
  const std::array<std::uint8_t, coffer::crypto::kGcmIvLen> iv{};
  const Bytes plaintext(len, 0x42);
  Bytes out(len);
  std::array<std::uint8_t, coffer::crypto::kGcmTagLen> tag{};
  for (auto _ : state) {
    Check(coffer::crypto::AesGcmSeal(key.view(), iv, {}, plaintext, out, tag), state);
    benchmark::DoNotOptimize(out.data());
    benchmark::DoNotOptimize(tag.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_AesGcmSeal)->Arg(256);

void BM_SealCiphertext(benchmark::State& state) {
  const auto len = static_cast<std::size_t>(state.range(0));
  const SecretBytes key = FixedKey();
  const auto header = Header();
  const coffer::kms::EncryptionContext context;
  const Bytes plaintext(len, 0x42);
  coffer::crypto::OsRandom random;
  for (auto _ : state) {
    auto blob = coffer::kms::SealCiphertext(header, key, context, plaintext, random);
    if (!blob.ok()) state.SkipWithError("SealCiphertext failed");
    benchmark::DoNotOptimize(blob);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_SealCiphertext)->Arg(256);

void BM_OpenCiphertext(benchmark::State& state) {
  const auto len = static_cast<std::size_t>(state.range(0));
  const SecretBytes key = FixedKey();
  const auto header = Header();
  const coffer::kms::EncryptionContext context;
  const Bytes plaintext(len, 0x42);
  coffer::crypto::OsRandom random;
  auto blob = coffer::kms::SealCiphertext(header, key, context, plaintext, random);
  if (!blob.ok()) {
    state.SkipWithError("SealCiphertext failed");
    return;
  }
  for (auto _ : state) {
    auto pt = coffer::kms::OpenCiphertext(*blob, key, context);
    if (!pt.ok()) state.SkipWithError("OpenCiphertext failed");
    benchmark::DoNotOptimize(pt);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_OpenCiphertext)->Arg(256);

void BM_HkdfSha256(benchmark::State& state) {
  const SecretBytes key = FixedKey();
  const Bytes salt(coffer::kms::kSaltLen, 0x11);
  const Bytes info = coffer::ToBytes("coffer bench hkdf");
  for (auto _ : state) {
    auto derived = coffer::crypto::HkdfSha256(key.view(), salt, info, 32);
    if (!derived.ok()) state.SkipWithError("HkdfSha256 failed");
    benchmark::DoNotOptimize(derived);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_HkdfSha256);

}  // namespace

BENCHMARK_MAIN();
