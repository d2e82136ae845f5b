// S3's flexible checksums (CRC32, CRC32C, CRC64NVME, SHA1, SHA256) and MD5
// (ETags, Content-MD5), all incremental so a body can be summed as it streams.
// S3 carries a checksum as base64 of the big-endian digest bytes; MD5 also
// goes out as lower-case hex (an ETag).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/bytes.h"

namespace coffer::crypto {

enum class ChecksumAlgorithm : std::uint8_t { kCrc32, kCrc32c, kCrc64Nvme, kSha1, kSha256 };

// "CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256", in any case (the value of
// x-amz-checksum-algorithm / x-amz-sdk-checksum-algorithm).
std::optional<ChecksumAlgorithm> ChecksumAlgorithmFromName(std::string_view name);
// "x-amz-checksum-crc32" ... "x-amz-checksum-sha256", in any case (a header
// name, or the value of x-amz-trailer).
std::optional<ChecksumAlgorithm> ChecksumAlgorithmFromHeader(std::string_view header);
// Upper case, as S3 spells it in errors and in x-amz-checksum-algorithm.
std::string_view ChecksumName(ChecksumAlgorithm algorithm);
// Lower case header name, "x-amz-checksum-crc32".
std::string_view ChecksumHeaderName(ChecksumAlgorithm algorithm);
// Digest bytes: 4, 4, 8, 20, 32.
std::size_t ChecksumDigestLen(ChecksumAlgorithm algorithm);

// One running checksum. Update() takes the data in any number of pieces;
// Finish() returns the digest of everything fed so far and starts over, so
// the object can sum another message.
class Checksum {
 public:
  virtual ~Checksum() = default;
  // Never null: every algorithm is built in.
  static std::unique_ptr<Checksum> New(ChecksumAlgorithm algorithm);

  virtual ChecksumAlgorithm algorithm() const = 0;
  virtual void Update(std::string_view data) = 0;
  // Big-endian digest bytes, ChecksumDigestLen(algorithm()) of them.
  virtual Bytes Finish() = 0;
  // Base64 of Finish(), the form of an x-amz-checksum-* header.
  std::string FinishBase64();
};

// One-shot base64 checksum of `data`.
std::string ChecksumBase64(ChecksumAlgorithm algorithm, std::string_view data);

// The raw CRCs, for callers that combine or store them as integers. `crc` is
// the value returned for the data before (0 to start); each applies its own
// init and final xor, so Crc32c(Crc32c(0, a), b) == Crc32c(0, a + b).
std::uint32_t Crc32(std::uint32_t crc, std::string_view data);
std::uint32_t Crc32c(std::uint32_t crc, std::string_view data);
std::uint64_t Crc64Nvme(std::uint64_t crc, std::string_view data);

// Incremental MD5. Not for security: S3 uses it as an integrity check
// (Content-MD5) and as the ETag of a single-part object.
class Md5 {
 public:
  Md5();
  ~Md5();
  Md5(const Md5&) = delete;
  Md5& operator=(const Md5&) = delete;

  void Update(std::string_view data);
  // 16 digest bytes; starts a new message, as Checksum::Finish does.
  Bytes Finish();
  std::string FinishHex();
  std::string FinishBase64();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace coffer::crypto
