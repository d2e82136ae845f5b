// Feeds arbitrary bodies to the aws-chunked decoder in arbitrary pieces.
// Input layout: byte 0 picks the mode, the trailer checksum and whether a
// decoded length is set; byte 1 seeds the split sizes; the rest is the body.
// The signing context is AWS's published streaming example, so seeds built
// from it reach the signature checks. Invariants: no crash, every error has a
// message, the sink never sees more than decoded_bytes() and nothing after a
// failure, and a successful decode ends done().
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "auth/aws_chunked.h"
#include "auth/canonical.h"
#include "common/bytes.h"

namespace {

using coffer::auth::AwsChunkedDecoder;
using coffer::auth::ChunkedOptions;
using coffer::auth::StreamingMode;

ChunkedOptions OptionsFor(std::uint8_t selector) {
  ChunkedOptions options;
  switch (selector % 3) {
    case 0:
      options.mode = StreamingMode::kSigned;
      break;
    case 1:
      options.mode = StreamingMode::kSignedTrailer;
      break;
    default:
      options.mode = StreamingMode::kUnsignedTrailer;
      break;
  }
  options.seed_signature = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";
  options.amz_date = "20130524T000000Z";
  options.scope = "20130524/us-east-1/s3/aws4_request";
  const coffer::crypto::Sha256Digest key = coffer::auth::internal::DeriveSigningKey(
      coffer::AsBytes("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"), "20130524", "us-east-1", "s3");
  options.signing_key = coffer::SecretBytes(key);
  const int checksum = (selector / 3) % 6;  // 5: none
  if (checksum < 5) options.trailer_checksum = static_cast<coffer::crypto::ChecksumAlgorithm>(checksum);
  if (selector & 0x80) options.decoded_length = 66560;
  options.compute_checksum = coffer::crypto::ChecksumAlgorithm::kCrc64Nvme;
  options.max_chunk_size = 1 << 20;
  return options;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  AwsChunkedDecoder decoder(OptionsFor(data[0]));
  std::uint32_t split_state = data[1] | 1u;
  std::string_view body(reinterpret_cast<const char*>(data + 2), size - 2);

  std::uint64_t sunk = 0;
  bool failed = false;
  const AwsChunkedDecoder::Sink sink = [&](std::string_view piece) {
    if (failed) __builtin_trap();
    sunk += piece.size();
    return coffer::Status::Ok();
  };
  while (!body.empty()) {
    split_state = split_state * 1103515245u + 12345u;  // a small LCG: reproducible pieces
    const std::size_t piece = 1 + (split_state >> 16) % 64;
    const std::size_t n = piece < body.size() ? piece : body.size();
    const coffer::Status status = decoder.Feed(body.substr(0, n), sink);
    body.remove_prefix(n);
    if (!status.ok()) {
      if (status.message().empty()) __builtin_trap();
      failed = true;
    }
    if (sunk != decoder.decoded_bytes()) __builtin_trap();
  }
  const coffer::Status finished = decoder.Finish();
  if (finished.ok() != decoder.done()) __builtin_trap();
  if (!finished.ok() && finished.message().empty()) __builtin_trap();
  if (finished.ok() && failed) __builtin_trap();
  return 0;
}
