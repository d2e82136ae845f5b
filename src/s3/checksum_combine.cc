#include "s3/checksum_combine.h"

#include <algorithm>
#include <cctype>

#include "common/encoding.h"

namespace coffer::s3 {
namespace {

// A reflected CRC of `width` bits: bit width-1 holds x^0, bit 0 holds
// x^(width-1); `poly` is the generator without its x^width term.
struct CrcSpec {
  int width;
  std::uint64_t poly;
};

constexpr CrcSpec kCrc32Spec{32, 0xEDB88320ULL};
constexpr CrcSpec kCrc32cSpec{32, 0x82F63B78ULL};
constexpr CrcSpec kCrc64NvmeSpec{64, 0x9A6C9329AC4BC9B5ULL};

// a * b modulo the generator.
std::uint64_t MultModP(const CrcSpec& spec, std::uint64_t a, std::uint64_t b) {
  std::uint64_t m = 1ULL << (spec.width - 1);
  std::uint64_t p = 0;
  while (m != 0) {
    if ((a & m) != 0) p ^= b;
    m >>= 1;
    b = (b & 1) != 0 ? (b >> 1) ^ spec.poly : b >> 1;
  }
  return p;
}

// x^(8 * bytes) modulo the generator, by squaring: x^(2^k) for k = 3, 4, ...
std::uint64_t XPowBytes(const CrcSpec& spec, std::uint64_t bytes) {
  std::uint64_t power = MultModP(spec, 1ULL << (spec.width - 2), 1ULL << (spec.width - 2));  // x^2
  power = MultModP(spec, power, power);                                                      // x^4
  power = MultModP(spec, power, power);                                                      // x^8
  std::uint64_t result = 1ULL << (spec.width - 1);                                           // x^0
  for (; bytes != 0; bytes >>= 1) {
    if ((bytes & 1) != 0) result = MultModP(spec, power, result);
    power = MultModP(spec, power, power);
  }
  return result;
}

// With init and final xor all ones, the xors of a's register cancel and
// crc(a + b) = crc(a) * x^(8 len_b) + crc(b).
std::uint64_t Combine(const CrcSpec& spec, std::uint64_t crc_a, std::uint64_t crc_b, std::uint64_t len_b) {
  return MultModP(spec, XPowBytes(spec, len_b), crc_a) ^ crc_b;
}

std::optional<std::uint64_t> BigEndian(std::string_view base64, std::size_t len) {
  std::optional<Bytes> raw = Base64Decode(base64);
  if (!raw || raw->size() != len) return std::nullopt;
  std::uint64_t v = 0;
  for (std::uint8_t b : *raw) v = (v << 8) | b;
  return v;
}

std::string ToBase64(std::uint64_t v, std::size_t len) {
  Bytes raw(len);
  for (std::size_t i = len; i-- > 0; v >>= 8) raw[i] = static_cast<std::uint8_t>(v & 0xFF);
  return Base64Encode(raw);
}

std::optional<std::string> FullObject(crypto::ChecksumAlgorithm algorithm,
                                      const std::vector<PartChecksum>& parts) {
  using enum crypto::ChecksumAlgorithm;
  const CrcSpec& spec = algorithm == kCrc32    ? kCrc32Spec
                        : algorithm == kCrc32c ? kCrc32cSpec
                                               : kCrc64NvmeSpec;
  const std::size_t len = crypto::ChecksumDigestLen(algorithm);
  std::uint64_t crc = 0;  // the CRC of no bytes
  for (const auto& part : parts) {
    std::optional<std::uint64_t> part_crc = BigEndian(part.base64, len);
    if (!part_crc) return std::nullopt;
    crc = Combine(spec, crc, *part_crc, part.size);
  }
  return ToBase64(crc, len);
}

std::optional<std::string> Composite(crypto::ChecksumAlgorithm algorithm,
                                     const std::vector<PartChecksum>& parts) {
  std::unique_ptr<crypto::Checksum> sum = crypto::Checksum::New(algorithm);
  for (const auto& part : parts) {
    std::optional<Bytes> raw = Base64Decode(part.base64);
    if (!raw || raw->size() != crypto::ChecksumDigestLen(algorithm)) return std::nullopt;
    sum->Update(AsChars(*raw));
  }
  return sum->FinishBase64() + "-" + std::to_string(parts.size());
}

}  // namespace

std::uint32_t Crc32Combine(std::uint32_t crc_a, std::uint32_t crc_b, std::uint64_t len_b) {
  return static_cast<std::uint32_t>(Combine(kCrc32Spec, crc_a, crc_b, len_b));
}

std::uint32_t Crc32cCombine(std::uint32_t crc_a, std::uint32_t crc_b, std::uint64_t len_b) {
  return static_cast<std::uint32_t>(Combine(kCrc32cSpec, crc_a, crc_b, len_b));
}

std::uint64_t Crc64NvmeCombine(std::uint64_t crc_a, std::uint64_t crc_b, std::uint64_t len_b) {
  return Combine(kCrc64NvmeSpec, crc_a, crc_b, len_b);
}

std::string_view ChecksumTypeName(ChecksumType type) {
  return type == ChecksumType::kComposite ? "COMPOSITE" : "FULL_OBJECT";
}

std::optional<ChecksumType> ChecksumTypeFromName(std::string_view name) {
  const auto is = [name](std::string_view upper) {
    return std::equal(name.begin(), name.end(), upper.begin(), upper.end(),
                      [](char a, char b) { return std::toupper(static_cast<unsigned char>(a)) == b; });
  };
  if (is("COMPOSITE")) return ChecksumType::kComposite;
  if (is("FULL_OBJECT")) return ChecksumType::kFullObject;
  return std::nullopt;
}

ChecksumType DefaultChecksumType(crypto::ChecksumAlgorithm algorithm) {
  return algorithm == crypto::ChecksumAlgorithm::kCrc64Nvme ? ChecksumType::kFullObject
                                                            : ChecksumType::kComposite;
}

bool ChecksumTypeAllowed(crypto::ChecksumAlgorithm algorithm, ChecksumType type) {
  using enum crypto::ChecksumAlgorithm;
  if (type == ChecksumType::kFullObject)
    return algorithm == kCrc32 || algorithm == kCrc32c || algorithm == kCrc64Nvme;
  return algorithm != kCrc64Nvme;
}

std::optional<std::string> MultipartChecksum(crypto::ChecksumAlgorithm algorithm, ChecksumType type,
                                             const std::vector<PartChecksum>& parts) {
  if (!ChecksumTypeAllowed(algorithm, type)) return std::nullopt;
  return type == ChecksumType::kFullObject ? FullObject(algorithm, parts) : Composite(algorithm, parts);
}

}  // namespace coffer::s3
