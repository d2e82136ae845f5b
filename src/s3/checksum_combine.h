// The checksum S3 gives a multipart object, made from its parts' checksums
// without reading the object again:
//   FULL_OBJECT (CRC32, CRC32C, CRC64NVME): the CRC of the whole body, from
//     the part CRCs and sizes by CRC combination (polynomial arithmetic
//     modulo the generator, as zlib's crc32_combine);
//   COMPOSITE (CRC32, CRC32C, SHA1, SHA256): the checksum of the part
//     digests concatenated, in base64, then "-" and the number of parts.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/checksum.h"

namespace coffer::s3 {

// Crc(a + b) from Crc(a), Crc(b) and the length of b (crypto::Crc32 etc.
// conventions: init and final xor included).
std::uint32_t Crc32Combine(std::uint32_t crc_a, std::uint32_t crc_b, std::uint64_t len_b);
std::uint32_t Crc32cCombine(std::uint32_t crc_a, std::uint32_t crc_b, std::uint64_t len_b);
std::uint64_t Crc64NvmeCombine(std::uint64_t crc_a, std::uint64_t crc_b, std::uint64_t len_b);

enum class ChecksumType : std::uint8_t { kComposite, kFullObject };

// "COMPOSITE" / "FULL_OBJECT", as in x-amz-checksum-type (parsed in any
// case, as S3 accepts it on CreateMultipartUpload).
std::string_view ChecksumTypeName(ChecksumType type);
std::optional<ChecksumType> ChecksumTypeFromName(std::string_view name);
// The type a multipart upload gets when the caller names only the
// algorithm: FULL_OBJECT for CRC64NVME, COMPOSITE for the others.
ChecksumType DefaultChecksumType(crypto::ChecksumAlgorithm algorithm);
// Whether S3 accepts `type` with `algorithm` on CreateMultipartUpload.
bool ChecksumTypeAllowed(crypto::ChecksumAlgorithm algorithm, ChecksumType type);

struct PartChecksum {
  std::string base64;  // the part's own checksum
  std::uint64_t size = 0;
};

// The object's checksum, base64 (with "-N" for COMPOSITE). nullopt when a
// part checksum is not a digest of `algorithm` or the type does not allow it.
std::optional<std::string> MultipartChecksum(crypto::ChecksumAlgorithm algorithm, ChecksumType type,
                                             const std::vector<PartChecksum>& parts);

}  // namespace coffer::s3
