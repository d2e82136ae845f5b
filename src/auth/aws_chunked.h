// S3's "aws-chunked" content encoding: a body sent as signed (or unsigned)
// chunks, optionally followed by trailing headers carrying a checksum.
// References: AWS S3 API "Signature calculations for the Authorization header:
// Transferring payload in multiple chunks (chunked upload)" and "Signature
// calculations for trailing headers (chunked uploads)".
//
//   chunk   = hex-size [";chunk-signature=" 64HEXDIG] CRLF data CRLF
//   final   = "0" [";chunk-signature=" 64HEXDIG] CRLF
//   trailer = *(name ":" value CRLF) ["x-amz-trailer-signature:" 64HEXDIG CRLF]
//   body    = *chunk final [trailer] CRLF
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "auth/sigv4.h"
#include "common/secret_bytes.h"
#include "common/status.h"
#include "common/status_or.h"
#include "crypto/checksum.h"

namespace coffer::auth {

// The x-amz-content-sha256 values that announce an aws-chunked body.
inline constexpr std::string_view kStreamingSignedPayload = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
inline constexpr std::string_view kStreamingSignedPayloadTrailer =
    "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER";
inline constexpr std::string_view kStreamingUnsignedPayloadTrailer = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";

enum class StreamingMode : std::uint8_t {
  kSigned,          // every chunk signed, no trailer
  kSignedTrailer,   // every chunk signed, then a signed trailer
  kUnsignedTrailer  // no signatures; a trailer (with the checksum)
};

// The mode an x-amz-content-sha256 value announces; nullopt for a hash,
// UNSIGNED-PAYLOAD or anything else (exact, case-sensitive match, as S3).
std::optional<StreamingMode> StreamingModeFor(std::string_view content_sha256);

inline constexpr std::size_t kMaxChunkLineLen = 4096;  // "hex;chunk-signature=..." without CRLF
inline constexpr std::size_t kMaxTrailerLen = std::size_t{16} * 1024;  // the whole trailer section
inline constexpr std::uint64_t kDefaultMaxChunkSize = 64ull * 1024 * 1024;

struct ChunkedOptions {
  StreamingMode mode = StreamingMode::kSigned;
  // Signed modes only: the seed (request) signature, X-Amz-Date, credential
  // scope and derived signing key, as VerifiedIdentity reports them.
  std::string seed_signature;
  std::string amz_date;
  std::string scope;
  SecretBytes signing_key;
  // x-amz-decoded-content-length, when sent: the decoded total must equal it.
  std::optional<std::uint64_t> decoded_length;
  // The checksum the request's x-amz-trailer names: the trailer must carry
  // it, and it must match the decoded data.
  std::optional<crypto::ChecksumAlgorithm> trailer_checksum;
  // A checksum computed over the decoded data for the caller (for an
  // x-amz-checksum-* request header, which the caller compares).
  std::optional<crypto::ChecksumAlgorithm> compute_checksum;
  std::uint64_t max_chunk_size = kDefaultMaxChunkSize;
};

// Builds the options for a request whose x-amz-content-sha256 announced a
// streaming mode, taking the signing key out of `identity` (verified with
// VerifyOptions{.body_follows = true, .want_signing_key = true}). Reads
// x-amz-decoded-content-length and x-amz-trailer. Errors (kValidation):
// InvalidArgument for a non-decimal decoded length, InvalidRequest for a
// non-streaming payload hash or an x-amz-trailer that is not one checksum
// header (or is sent with the no-trailer mode).
StatusOr<ChunkedOptions> ChunkedOptionsFor(const HttpRequest& request, VerifiedIdentity& identity);

// Push decoder: feed the body in pieces as it arrives; decoded data goes to
// the sink as soon as it is read, so memory stays bounded whatever the chunk
// size. A chunk's signature can only be checked when the chunk ends, so data
// already handed to the sink is provisional until Finish() returns OK: a
// caller that stores it must discard it on any error.
//
// Errors are sticky: after one, Feed and Finish return it again. Wire names
// (Status::type()) are S3's:
//   kInvalidSignature  SignatureDoesNotMatch  a chunk or trailer signature is wrong
//   kValidation        IncompleteBody         the body ended early / is shorter than declared
//   kValidation        InvalidRequest         malformed framing, oversized chunk, bytes after
//                                             the end, body longer than declared, missing or
//                                             malformed trailer checksum
//   kValidation        MalformedTrailerError  unparseable or oversized trailer, unexpected or
//                                             repeated trailer header, missing trailer signature
//   kValidation        BadDigest              trailer checksum differs from the data's
//   kInternal                                 signed mode without a signing key
// A sink's error is returned as it is.
class AwsChunkedDecoder {
 public:
  using Sink = std::function<Status(std::string_view data)>;

  explicit AwsChunkedDecoder(ChunkedOptions options);
  ~AwsChunkedDecoder();
  AwsChunkedDecoder(const AwsChunkedDecoder&) = delete;
  AwsChunkedDecoder& operator=(const AwsChunkedDecoder&) = delete;

  // Consumes all of `in`, handing decoded data to `sink`.
  Status Feed(std::string_view in, const Sink& sink);
  // The body has ended: OK only when the final chunk and its trailer were
  // read in full and every check passed.
  Status Finish();

  bool done() const;
  std::uint64_t decoded_bytes() const { return decoded_; }
  // The trailer's checksum value (base64), once the trailer is verified.
  const std::optional<std::string>& trailer_checksum() const { return trailer_value_; }
  // Base64 of options.compute_checksum over the decoded data, once done().
  const std::optional<std::string>& computed_checksum() const { return computed_; }

 private:
  enum class State : std::uint8_t { kSizeLine, kData, kDataCrlf, kTrailer, kFinalCrlf, kDone, kFailed };

  Status Step(std::string_view& in, const Sink& sink);
  Status ReadSizeLine(std::string_view& in);
  Status ReadData(std::string_view& in, const Sink& sink);
  Status ReadCrlf(std::string_view& in, State next);
  Status ReadTrailerLine(std::string_view& in);
  // Appends to line_ up to a '\n'; true once line_ holds a whole line
  // (without its CRLF).
  StatusOr<bool> TakeLine(std::string_view& in, std::size_t max_len, const Status& too_long);
  Status StartChunk(std::string_view line);
  Status EndChunk();
  Status EndData();
  Status AddTrailerHeader(std::string_view line);
  Status EndTrailer();
  bool Signed() const { return options_.mode != StreamingMode::kUnsignedTrailer; }
  Status CheckSignature(std::string_view prefix, std::string_view hash_hex, std::string_view claimed);
  Status Fail(Status status);

  ChunkedOptions options_;
  State state_ = State::kSizeLine;
  Status error_;
  std::string line_;
  std::size_t crlf_seen_ = 0;
  State after_crlf_ = State::kSizeLine;
  std::uint64_t chunk_left_ = 0;
  std::uint64_t decoded_ = 0;
  std::size_t trailer_len_ = 0;
  std::string chunk_signature_;  // claimed for the current chunk
  std::string prev_signature_;
  struct Hashes;
  std::unique_ptr<Hashes> hashes_;
  std::optional<std::string> trailer_value_;
  std::optional<std::string> trailer_signature_;
  std::optional<std::string> computed_;
  std::string trailer_expected_;  // base64 of trailer_checksum over the data
};

}  // namespace coffer::auth
