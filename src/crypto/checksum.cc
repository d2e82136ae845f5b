// CRC32 is zlib's. CRC32C and CRC64/NVME are reflected CRCs computed eight
// bytes at a time ("slicing-by-8") from tables built at compile time, or on
// x86-64 by the SSE4.2 crc32 instruction (CRC32C) and carry-less
// multiplication (CRC64/NVME on long inputs) when the CPU has them. SHA1,
// SHA256 and MD5 go through EVP with the digest fetched once per process.
#include "crypto/checksum.h"

#include <openssl/evp.h>
#include <zlib.h>

#include <array>
#include <cctype>
#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "common/encoding.h"
#include "crypto/openssl_util.h"

namespace coffer::crypto {
namespace {

using internal::EvpMdCtxPtr;

struct AlgorithmInfo {
  ChecksumAlgorithm algorithm;
  std::string_view name;
  std::string_view header;
  std::size_t digest_len;
};

constexpr std::array kAlgorithms = {
    AlgorithmInfo{ChecksumAlgorithm::kCrc32, "CRC32", "x-amz-checksum-crc32", 4},
    AlgorithmInfo{ChecksumAlgorithm::kCrc32c, "CRC32C", "x-amz-checksum-crc32c", 4},
    AlgorithmInfo{ChecksumAlgorithm::kCrc64Nvme, "CRC64NVME", "x-amz-checksum-crc64nvme", 8},
    AlgorithmInfo{ChecksumAlgorithm::kSha1, "SHA1", "x-amz-checksum-sha1", 20},
    AlgorithmInfo{ChecksumAlgorithm::kSha256, "SHA256", "x-amz-checksum-sha256", 32},
};

const AlgorithmInfo& Info(ChecksumAlgorithm algorithm) {
  for (const auto& info : kAlgorithms) {
    if (info.algorithm == algorithm) return info;
  }
  return kAlgorithms[0];  // unreachable: the table covers the enum
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

// ---------------------------------------------------------------------------
// Reflected CRCs, slicing-by-8. Table k holds the CRC of a byte followed by
// k zero bytes, so eight input bytes fold in with eight lookups.

template <typename T>
using CrcTables = std::array<std::array<T, 256>, 8>;

template <typename T>
constexpr CrcTables<T> MakeTables(T reflected_poly) {
  CrcTables<T> tables{};
  for (unsigned n = 0; n < 256; ++n) {
    T crc = n;
    for (int bit = 0; bit < 8; ++bit) crc = (crc & 1) ? (crc >> 1) ^ reflected_poly : crc >> 1;
    tables[0][n] = crc;
  }
  for (std::size_t k = 1; k < 8; ++k) {
    for (unsigned n = 0; n < 256; ++n) {
      const T prev = tables[k - 1][n];
      tables[k][n] = (prev >> 8) ^ tables[0][prev & 0xff];
    }
  }
  return tables;
}

constexpr CrcTables<std::uint32_t> kCrc32cTables = MakeTables<std::uint32_t>(0x82F63B78u);
// CRC-64/NVME: polynomial 0xAD93D23594C93659, here bit-reversed.
constexpr std::uint64_t kCrc64NvmeReflectedPoly = 0x9A6C9329AC4BC9B5ull;
constexpr CrcTables<std::uint64_t> kCrc64NvmeTables = MakeTables<std::uint64_t>(kCrc64NvmeReflectedPoly);

// `crc` is the raw register (init and final xor already undone).
template <typename T>
T ReflectedCrc(const CrcTables<T>& t, T crc, std::string_view data) {
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  std::size_t len = data.size();
  while (len >= 8) {
    std::uint64_t word = 0;
    for (int i = 7; i >= 0; --i) word = (word << 8) | p[i];  // little-endian load
    const std::uint64_t v = word ^ crc;
    crc = t[7][v & 0xff] ^ t[6][(v >> 8) & 0xff] ^ t[5][(v >> 16) & 0xff] ^ t[4][(v >> 24) & 0xff] ^
          t[3][(v >> 32) & 0xff] ^ t[2][(v >> 40) & 0xff] ^ t[1][(v >> 48) & 0xff] ^ t[0][v >> 56];
    p += 8;
    len -= 8;
  }
  while (len-- > 0) crc = (crc >> 8) ^ t[0][(crc ^ *p++) & 0xff];
  return crc;
}

// ---------------------------------------------------------------------------
// CRC-64/NVME by carry-less multiplication (x86-64 with PCLMULQDQ), about ten
// times the tables' speed on long bodies (S3 computes it over every upload
// that names no checksum of its own).
//
// A 16-byte register R holds a message polynomial congruent (mod P) to all
// the input folded so far. Each next block B gives R' = R * x^128 + B, and with
// R = H * x^64 + L (H the first eight bytes: reflected order puts the highest
// powers first), R * x^128 = H * x^192 + L * x^128 is congruent to
// H * (x^192 mod P) + L * (x^128 mod P), a 127-bit value. In reflected bit
// order a carry-less product represents x * A * B, so the constants are
// x^191 mod P and x^127 mod P. The raw CRC of the last register (as a 16-byte
// message, zero state) then equals the raw CRC of everything folded, and the
// tables finish it and the tail. The constants are derived here from the
// polynomial, and the tests check the result against the tables.

constexpr std::uint64_t Reflect64(std::uint64_t v) {
  std::uint64_t out = 0;
  for (int i = 0; i < 64; ++i, v >>= 1) out = (out << 1) | (v & 1);
  return out;
}

// x^n mod P for P = x^64 + `poly` (normal bit order: bit i is x^i), reflected.
constexpr std::uint64_t ReflectedXPowModP(unsigned n, std::uint64_t poly) {
  std::uint64_t r = 1;
  for (unsigned i = 0; i < n; ++i) r = (r & (1ull << 63)) ? (r << 1) ^ poly : r << 1;
  return Reflect64(r);
}

constexpr std::uint64_t kCrc64NvmeFoldHigh = ReflectedXPowModP(191, Reflect64(kCrc64NvmeReflectedPoly));
constexpr std::uint64_t kCrc64NvmeFoldLow = ReflectedXPowModP(127, Reflect64(kCrc64NvmeReflectedPoly));
constexpr std::size_t kFoldMinBytes = 64;  // below this the tables are as fast

#if defined(__x86_64__)
__attribute__((target("pclmul,sse2"))) std::uint64_t FoldedCrc64(const CrcTables<std::uint64_t>& tables,
                                                                 std::uint64_t crc, std::string_view data) {
  const char* p = data.data();
  std::size_t len = data.size();
  // The state enters as an xor into the first eight message bytes.
  __m128i r = _mm_xor_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)),
                            _mm_cvtsi64_si128(static_cast<long long>(crc)));
  p += 16;
  len -= 16;
  const __m128i k =
      _mm_set_epi64x(static_cast<long long>(kCrc64NvmeFoldLow), static_cast<long long>(kCrc64NvmeFoldHigh));
  while (len >= 16) {
    const __m128i high = _mm_clmulepi64_si128(r, k, 0x00);  // H * (x^191 mod P)
    const __m128i low = _mm_clmulepi64_si128(r, k, 0x11);   // L * (x^127 mod P)
    r = _mm_xor_si128(_mm_xor_si128(high, low), _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    p += 16;
    len -= 16;
  }
  alignas(16) char folded[16];
  _mm_store_si128(reinterpret_cast<__m128i*>(folded), r);
  const std::uint64_t state = ReflectedCrc<std::uint64_t>(tables, 0, std::string_view(folded, sizeof folded));
  return ReflectedCrc<std::uint64_t>(tables, state, std::string_view(p, len));
}

// CRC32C is the SSE4.2 crc32 instruction's own polynomial: on the raw register.
__attribute__((target("sse4.2"))) std::uint32_t HardwareCrc32c(std::uint32_t crc, std::string_view data) {
  const char* p = data.data();
  std::size_t len = data.size();
  std::uint64_t wide = crc;
  while (len >= 8) {
    std::uint64_t word;
    std::memcpy(&word, p, sizeof word);
    wide = _mm_crc32_u64(wide, word);
    p += 8;
    len -= 8;
  }
  auto narrow = static_cast<std::uint32_t>(wide);
  while (len-- > 0) narrow = _mm_crc32_u8(narrow, static_cast<unsigned char>(*p++));
  return narrow;
}

bool HasSse42() {
  static const bool has = __builtin_cpu_supports("sse4.2");
  return has;
}

bool HasPclmul() {
  static const bool has = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse2");
  return has;
}
#endif

template <typename T>
void AppendBigEndian(T value, Bytes& out) {
  for (int shift = static_cast<int>(sizeof(T) * 8) - 8; shift >= 0; shift -= 8) {
    out.push_back(static_cast<std::uint8_t>(value >> shift));
  }
}

// The three CRCs differ only in their function, width and name.
template <typename Crc, Crc (*Fn)(Crc, std::string_view), ChecksumAlgorithm kAlgorithm>
class CrcChecksum final : public Checksum {
 public:
  ChecksumAlgorithm algorithm() const override { return kAlgorithm; }
  void Update(std::string_view data) override { crc_ = Fn(crc_, data); }
  Bytes Finish() override {
    Bytes out;
    AppendBigEndian(crc_, out);
    crc_ = 0;
    return out;
  }

 private:
  Crc crc_ = 0;
};

using Crc32Checksum = CrcChecksum<std::uint32_t, Crc32, ChecksumAlgorithm::kCrc32>;
using Crc32cChecksum = CrcChecksum<std::uint32_t, Crc32c, ChecksumAlgorithm::kCrc32c>;
using Crc64NvmeChecksum = CrcChecksum<std::uint64_t, Crc64Nvme, ChecksumAlgorithm::kCrc64Nvme>;

// ---------------------------------------------------------------------------
// EVP digests.

const EVP_MD* FetchOnce(const char* name) {
  EVP_MD* md = EVP_MD_fetch(nullptr, name, nullptr);
  if (md == nullptr) internal::Fatal(std::string("EVP_MD_fetch(") + name + ")");
  return md;
}

const EVP_MD* Sha1Md() {
  static const EVP_MD* const md = FetchOnce("SHA1");
  return md;
}

const EVP_MD* Md5Md() {
  static const EVP_MD* const md = FetchOnce("MD5");
  return md;
}

// An EVP digest context that restarts itself after each Final.
class EvpDigest {
 public:
  explicit EvpDigest(const EVP_MD* md) : md_(md), ctx_(EVP_MD_CTX_new()) {
    if (ctx_ == nullptr) internal::Fatal("EVP_MD_CTX_new");
    Init();
  }
  void Update(std::string_view data) {
    if (data.empty()) return;
    if (EVP_DigestUpdate(ctx_.get(), data.data(), data.size()) != 1) internal::Fatal("EVP_DigestUpdate");
  }
  Bytes Final() {
    Bytes out(static_cast<std::size_t>(EVP_MD_get_size(md_)));
    unsigned int len = 0;
    if (EVP_DigestFinal_ex(ctx_.get(), out.data(), &len) != 1 || len != out.size()) {
      internal::Fatal("EVP_DigestFinal_ex");
    }
    Init();
    return out;
  }

 private:
  void Init() {
    if (EVP_DigestInit_ex2(ctx_.get(), md_, nullptr) != 1) internal::Fatal("EVP_DigestInit_ex2");
  }

  const EVP_MD* md_;
  EvpMdCtxPtr ctx_;
};

class EvpChecksum final : public Checksum {
 public:
  EvpChecksum(ChecksumAlgorithm algorithm, const EVP_MD* md) : algorithm_(algorithm), digest_(md) {}
  ChecksumAlgorithm algorithm() const override { return algorithm_; }
  void Update(std::string_view data) override { digest_.Update(data); }
  Bytes Finish() override { return digest_.Final(); }

 private:
  ChecksumAlgorithm algorithm_;
  EvpDigest digest_;
};

}  // namespace

std::optional<ChecksumAlgorithm> ChecksumAlgorithmFromName(std::string_view name) {
  for (const auto& info : kAlgorithms) {
    if (EqualsIgnoreCase(info.name, name)) return info.algorithm;
  }
  return std::nullopt;
}

std::optional<ChecksumAlgorithm> ChecksumAlgorithmFromHeader(std::string_view header) {
  for (const auto& info : kAlgorithms) {
    if (EqualsIgnoreCase(info.header, header)) return info.algorithm;
  }
  return std::nullopt;
}

std::string_view ChecksumName(ChecksumAlgorithm algorithm) { return Info(algorithm).name; }
std::string_view ChecksumHeaderName(ChecksumAlgorithm algorithm) { return Info(algorithm).header; }
std::size_t ChecksumDigestLen(ChecksumAlgorithm algorithm) { return Info(algorithm).digest_len; }

std::uint32_t Crc32(std::uint32_t crc, std::string_view data) {
  return static_cast<std::uint32_t>(
      crc32_z(crc, reinterpret_cast<const Bytef*>(data.data()), static_cast<z_size_t>(data.size())));
}

std::uint32_t Crc32c(std::uint32_t crc, std::string_view data) {
#if defined(__x86_64__)
  if (HasSse42()) return ~HardwareCrc32c(~crc, data);
#endif
  return ~ReflectedCrc<std::uint32_t>(kCrc32cTables, ~crc, data);
}

std::uint64_t Crc64Nvme(std::uint64_t crc, std::string_view data) {
#if defined(__x86_64__)
  if (data.size() >= kFoldMinBytes && HasPclmul()) return ~FoldedCrc64(kCrc64NvmeTables, ~crc, data);
#endif
  return ~ReflectedCrc<std::uint64_t>(kCrc64NvmeTables, ~crc, data);
}

std::unique_ptr<Checksum> Checksum::New(ChecksumAlgorithm algorithm) {
  switch (algorithm) {
    case ChecksumAlgorithm::kCrc32:
      return std::make_unique<Crc32Checksum>();
    case ChecksumAlgorithm::kCrc32c:
      return std::make_unique<Crc32cChecksum>();
    case ChecksumAlgorithm::kCrc64Nvme:
      return std::make_unique<Crc64NvmeChecksum>();
    case ChecksumAlgorithm::kSha1:
      return std::make_unique<EvpChecksum>(algorithm, Sha1Md());
    case ChecksumAlgorithm::kSha256:
      return std::make_unique<EvpChecksum>(algorithm, internal::Sha256Md());
  }
  return std::make_unique<EvpChecksum>(ChecksumAlgorithm::kSha256, internal::Sha256Md());
}

std::string Checksum::FinishBase64() { return Base64Encode(Finish()); }

std::string ChecksumBase64(ChecksumAlgorithm algorithm, std::string_view data) {
  const std::unique_ptr<Checksum> checksum = Checksum::New(algorithm);
  checksum->Update(data);
  return checksum->FinishBase64();
}

struct Md5::Impl {
  EvpDigest digest{Md5Md()};
};

Md5::Md5() : impl_(std::make_unique<Impl>()) {}
Md5::~Md5() = default;
void Md5::Update(std::string_view data) { impl_->digest.Update(data); }
Bytes Md5::Finish() { return impl_->digest.Final(); }
std::string Md5::FinishHex() { return HexEncode(Finish()); }
std::string Md5::FinishBase64() { return Base64Encode(Finish()); }

}  // namespace coffer::crypto
