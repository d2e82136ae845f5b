// CRC32 is zlib's. CRC32C and CRC64/NVME are reflected CRCs computed eight
// bytes at a time ("slicing-by-8") from tables built at compile time. SHA1,
// SHA256 and MD5 go through EVP with the digest fetched once per process.
#include "crypto/checksum.h"

#include <openssl/evp.h>
#include <zlib.h>

#include <array>
#include <cctype>

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
constexpr CrcTables<std::uint64_t> kCrc64NvmeTables = MakeTables<std::uint64_t>(0x9A6C9329AC4BC9B5ull);

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
  return ~ReflectedCrc<std::uint32_t>(kCrc32cTables, ~crc, data);
}

std::uint64_t Crc64Nvme(std::uint64_t crc, std::string_view data) {
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
