// aws-chunked decoding. Each state reads one field of the format with its own
// bound; data bytes are never buffered, only hashed and passed on.
#include "auth/aws_chunked.h"

#include <algorithm>
#include <charconv>
#include <utility>

#include "auth/canonical.h"
#include "common/encoding.h"
#include "crypto/crypto.h"

namespace coffer::auth {
namespace {

constexpr std::string_view kChunkSignatureExt = "chunk-signature=";
constexpr std::string_view kTrailerSignatureName = "x-amz-trailer-signature";
constexpr std::string_view kChunkPrefix = "AWS4-HMAC-SHA256-PAYLOAD";
constexpr std::string_view kTrailerPrefix = "AWS4-HMAC-SHA256-TRAILER";
// hex(sha256("")): the chunk string to sign's fixed fifth line.
constexpr std::string_view kEmptySha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr std::size_t kMaxSizeDigits = 16;  // 64 bits; max_chunk_size bounds the value

Status InvalidRequest(std::string message) {
  return ValidationError(std::move(message)).Named("InvalidRequest");
}
Status IncompleteBody(std::string message) {
  return ValidationError(std::move(message)).Named("IncompleteBody");
}
Status MalformedTrailer(std::string message) {
  return ValidationError(std::move(message)).Named("MalformedTrailerError");
}

Status SignatureMismatch(std::string_view what) {
  return Status(ErrorCode::kInvalidSignature,
                "The " + std::string(what) +
                    " signature we calculated does not match the signature you "
                    "provided. Check your AWS Secret Access Key and signing method.")
      .Named("SignatureDoesNotMatch");
}

std::string_view TrimBlanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool IsHexDigit(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

bool HasControl(std::string_view s) {
  return std::any_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string HexSha256(const crypto::Sha256Digest& digest) {
  std::string out;
  AppendHex(digest, out);
  return out;
}

}  // namespace

std::optional<StreamingMode> StreamingModeFor(std::string_view content_sha256) {
  if (content_sha256 == kStreamingSignedPayload) return StreamingMode::kSigned;
  if (content_sha256 == kStreamingSignedPayloadTrailer) return StreamingMode::kSignedTrailer;
  if (content_sha256 == kStreamingUnsignedPayloadTrailer) return StreamingMode::kUnsignedTrailer;
  return std::nullopt;
}

struct AwsChunkedDecoder::Hashes {
  crypto::Sha256Hasher chunk;
  crypto::Sha256Hasher trailer;
  std::unique_ptr<crypto::Checksum> trailer_sum;
  std::unique_ptr<crypto::Checksum> extra_sum;
};

AwsChunkedDecoder::AwsChunkedDecoder(ChunkedOptions options)
    : options_(std::move(options)),
      prev_signature_(options_.seed_signature),
      hashes_(std::make_unique<Hashes>()) {
  if (options_.trailer_checksum) hashes_->trailer_sum = crypto::Checksum::New(*options_.trailer_checksum);
  if (options_.compute_checksum) hashes_->extra_sum = crypto::Checksum::New(*options_.compute_checksum);
}

AwsChunkedDecoder::~AwsChunkedDecoder() = default;

bool AwsChunkedDecoder::done() const { return state_ == State::kDone; }

Status AwsChunkedDecoder::Fail(Status status) {
  state_ = State::kFailed;
  error_ = status;
  return status;
}

Status AwsChunkedDecoder::Feed(std::string_view in, const Sink& sink) {
  if (state_ == State::kFailed) return error_;
  if (Signed() && options_.signing_key.empty()) {
    return Fail(InternalError("Signed aws-chunked decoding needs the signing key."));
  }
  while (!in.empty()) {
    const Status status = Step(in, sink);
    if (!status.ok()) return Fail(status);
  }
  return Status::Ok();
}

Status AwsChunkedDecoder::Finish() {
  if (state_ == State::kFailed) return error_;
  if (state_ != State::kDone) return Fail(IncompleteBody("The request body ended before its final chunk."));
  return Status::Ok();
}

Status AwsChunkedDecoder::Step(std::string_view& in, const Sink& sink) {
  switch (state_) {
    case State::kSizeLine:
      return ReadSizeLine(in);
    case State::kData:
      return ReadData(in, sink);
    case State::kDataCrlf:
    case State::kFinalCrlf:
      return ReadCrlf(in, after_crlf_);
    case State::kTrailer:
      return ReadTrailerLine(in);
    case State::kDone:
      return InvalidRequest("The request body continues after its final chunk.");
    case State::kFailed:
      return error_;
  }
  return InternalError("aws-chunked decoder state");
}

StatusOr<bool> AwsChunkedDecoder::TakeLine(std::string_view& in, std::size_t max_len,
                                           const Status& too_long) {
  const std::size_t nl = in.find('\n');
  const std::size_t take = nl == std::string_view::npos ? in.size() : nl;
  // +1: the CR that must precede the LF is still in line_.
  if (line_.size() + take > max_len + 1) return too_long;
  line_.append(in.substr(0, take));
  if (nl == std::string_view::npos) {
    in = {};
    return false;
  }
  in.remove_prefix(nl + 1);
  if (line_.empty() || line_.back() != '\r') return InvalidRequest("A chunk line must end with CRLF.");
  line_.pop_back();
  return true;
}

Status AwsChunkedDecoder::ReadSizeLine(std::string_view& in) {
  ASSIGN_OR_RETURN(const bool whole,
                   TakeLine(in, kMaxChunkLineLen, InvalidRequest("The chunk header line is too long.")));
  if (!whole) return Status::Ok();
  const std::string line = std::move(line_);
  line_.clear();
  return StartChunk(line);
}

// "hex-size[;chunk-signature=<64 hex>]". Unsigned mode ignores extensions,
// as HTTP/1.1 chunked coding does; signed modes require exactly one.
Status AwsChunkedDecoder::StartChunk(std::string_view line) {
  const std::size_t semi = line.find(';');
  const std::string_view size_text = line.substr(0, semi);
  if (size_text.empty()) return InvalidRequest("The chunk header has no chunk size.");
  if (!std::all_of(size_text.begin(), size_text.end(), IsHexDigit)) {
    return InvalidRequest("The chunk size is not a hexadecimal number.");
  }
  std::uint64_t size = 0;
  if (size_text.size() > kMaxSizeDigits ||
      std::from_chars(size_text.data(), size_text.data() + size_text.size(), size, 16).ec != std::errc() ||
      size > options_.max_chunk_size) {
    return InvalidRequest("The chunk size exceeds the maximum of " + std::to_string(options_.max_chunk_size) +
                          " bytes.");
  }
  if (Signed()) {
    if (semi == std::string_view::npos) return InvalidRequest("The chunk header has no chunk-signature.");
    const std::string_view ext = line.substr(semi + 1);
    if (!ext.starts_with(kChunkSignatureExt) || ext.size() != kChunkSignatureExt.size() + 64) {
      return InvalidRequest("The chunk header's chunk-signature is malformed.");
    }
    chunk_signature_ = ext.substr(kChunkSignatureExt.size());
  }
  if (options_.decoded_length && size > *options_.decoded_length - decoded_) {
    return InvalidRequest("The decoded body is longer than x-amz-decoded-content-length.");
  }
  chunk_left_ = size;
  if (size == 0) return EndData();
  state_ = State::kData;
  return Status::Ok();
}

Status AwsChunkedDecoder::ReadData(std::string_view& in, const Sink& sink) {
  const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(chunk_left_, in.size()));
  const std::string_view data = in.substr(0, n);
  in.remove_prefix(n);
  chunk_left_ -= n;
  decoded_ += n;
  if (Signed()) hashes_->chunk.Update(AsBytes(data));
  if (hashes_->trailer_sum) hashes_->trailer_sum->Update(data);
  if (hashes_->extra_sum) hashes_->extra_sum->Update(data);
  RETURN_IF_ERROR(sink(data));
  if (chunk_left_ == 0) return EndData();
  return Status::Ok();
}

// The chunk's data is complete (or it is the final, empty chunk).
Status AwsChunkedDecoder::EndData() {
  if (Signed()) {
    RETURN_IF_ERROR(CheckSignature(kChunkPrefix, HexSha256(hashes_->chunk.Final()), chunk_signature_));
  }
  const bool final_chunk = state_ == State::kSizeLine;
  if (!final_chunk) {
    state_ = State::kDataCrlf;
    after_crlf_ = State::kSizeLine;
    return Status::Ok();
  }
  return EndChunk();
}

// After the final chunk's header line.
Status AwsChunkedDecoder::EndChunk() {
  if (options_.decoded_length && decoded_ != *options_.decoded_length) {
    return IncompleteBody("The decoded body is shorter than x-amz-decoded-content-length.");
  }
  if (hashes_->trailer_sum) trailer_expected_ = hashes_->trailer_sum->FinishBase64();
  if (hashes_->extra_sum) computed_ = hashes_->extra_sum->FinishBase64();
  if (options_.mode == StreamingMode::kSigned) {
    state_ = State::kFinalCrlf;
    after_crlf_ = State::kDone;
  } else {
    state_ = State::kTrailer;
  }
  return Status::Ok();
}

Status AwsChunkedDecoder::ReadCrlf(std::string_view& in, State next) {
  while (!in.empty() && crlf_seen_ < 2) {
    if (in.front() != "\r\n"[crlf_seen_]) {
      return InvalidRequest(state_ == State::kFinalCrlf ? "The final chunk must be followed by an empty line."
                                                        : "Chunk data must be followed by CRLF.");
    }
    in.remove_prefix(1);
    ++crlf_seen_;
  }
  if (crlf_seen_ == 2) {
    crlf_seen_ = 0;
    state_ = next;
  }
  return Status::Ok();
}

Status AwsChunkedDecoder::ReadTrailerLine(std::string_view& in) {
  const std::size_t before = in.size();
  const std::size_t budget = kMaxTrailerLen - trailer_len_;
  const StatusOr<bool> whole = TakeLine(in, budget, MalformedTrailer("The trailer is too long."));
  if (!whole.ok()) return whole.status();
  trailer_len_ += before - in.size();
  if (trailer_len_ > kMaxTrailerLen) return MalformedTrailer("The trailer is too long.");
  if (!*whole) return Status::Ok();
  const std::string line = std::move(line_);
  line_.clear();
  if (line.empty()) return EndTrailer();
  return AddTrailerHeader(line);
}

Status AwsChunkedDecoder::AddTrailerHeader(std::string_view line) {
  const std::size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0 || HasControl(line)) {
    return MalformedTrailer("The trailer contains a line that is not a header.");
  }
  const std::string name = Lower(TrimBlanks(line.substr(0, colon)));
  const std::string_view value = TrimBlanks(line.substr(colon + 1));
  if (trailer_signature_)
    return MalformedTrailer("x-amz-trailer-signature must be the trailer's last header.");
  if (Signed() && name == kTrailerSignatureName) {
    trailer_signature_ = std::string(value);
    return Status::Ok();
  }
  if (!options_.trailer_checksum || name != crypto::ChecksumHeaderName(*options_.trailer_checksum)) {
    return MalformedTrailer("The trailer contains a header that x-amz-trailer did not announce.");
  }
  if (trailer_value_) return MalformedTrailer("The trailer repeats a header.");
  trailer_value_ = std::string(value);
  // What a trailer signature covers: each header as "name:value\n".
  const std::string canonical = name + ":" + std::string(value) + "\n";
  hashes_->trailer.Update(AsBytes(canonical));
  return Status::Ok();
}

Status AwsChunkedDecoder::EndTrailer() {
  if (Signed()) {
    if (!trailer_signature_) return MalformedTrailer("The trailer has no x-amz-trailer-signature.");
    RETURN_IF_ERROR(CheckSignature(kTrailerPrefix, HexSha256(hashes_->trailer.Final()), *trailer_signature_));
  }
  if (options_.trailer_checksum) {
    const std::string_view header = crypto::ChecksumHeaderName(*options_.trailer_checksum);
    if (!trailer_value_) {
      return InvalidRequest("The trailer does not carry " + std::string(header) +
                            ", which x-amz-trailer announced.");
    }
    const std::optional<Bytes> claimed = Base64Decode(*trailer_value_);
    if (!claimed || claimed->size() != crypto::ChecksumDigestLen(*options_.trailer_checksum)) {
      trailer_value_.reset();
      return InvalidRequest("Value for " + std::string(header) + " trailing header is invalid.");
    }
    if (*trailer_value_ != trailer_expected_) {
      trailer_value_.reset();
      return ValidationError("The " + std::string(crypto::ChecksumName(*options_.trailer_checksum)) +
                             " you specified did not match the calculated checksum.")
          .Named("BadDigest");
    }
  }
  state_ = State::kDone;
  return Status::Ok();
}

// String to sign: prefix, date, scope, previous signature, then for a chunk
// hex(sha256("")) and the data's hash, for the trailer the trailer's hash.
Status AwsChunkedDecoder::CheckSignature(std::string_view prefix, std::string_view hash_hex,
                                         std::string_view claimed) {
  std::string string_to_sign;
  string_to_sign.reserve(320);
  string_to_sign.append(prefix).append("\n").append(options_.amz_date).append("\n").append(options_.scope);
  string_to_sign.append("\n").append(prev_signature_).append("\n");
  if (prefix == kChunkPrefix) string_to_sign.append(kEmptySha256).append("\n");
  string_to_sign.append(hash_hex);
  std::string expected;
  internal::AppendSignature(options_.signing_key.view(), string_to_sign, expected);
  if (!ConstantTimeEquals(AsBytes(expected), AsBytes(claimed))) {
    return SignatureMismatch(prefix == kChunkPrefix ? "chunk" : "trailer");
  }
  prev_signature_ = std::move(expected);
  return Status::Ok();
}

StatusOr<ChunkedOptions> ChunkedOptionsFor(const HttpRequest& request, VerifiedIdentity& identity) {
  const std::optional<StreamingMode> mode = StreamingModeFor(identity.payload_hash);
  if (!mode)
    return InvalidRequest("The request does not announce an aws-chunked body in x-amz-content-sha256.");
  ChunkedOptions options;
  options.mode = *mode;
  options.seed_signature = identity.signature;
  options.amz_date = identity.amz_date;
  options.scope = identity.scope;
  options.signing_key = std::move(identity.signing_key);
  bool has_trailer_header = false;
  for (const auto& [name, value] : request.headers) {
    if (internal::EqualsIgnoreCase(name, "x-amz-decoded-content-length")) {
      std::uint64_t length = 0;
      const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), length);
      if (value.empty() || ec != std::errc() || end != value.data() + value.size()) {
        return ValidationError("x-amz-decoded-content-length must be a decimal number of bytes.")
            .Named("InvalidArgument");
      }
      options.decoded_length = length;
    } else if (internal::EqualsIgnoreCase(name, "x-amz-trailer")) {
      has_trailer_header = true;
      options.trailer_checksum = crypto::ChecksumAlgorithmFromHeader(TrimBlanks(value));
      if (!options.trailer_checksum) {
        return InvalidRequest("The value specified in the x-amz-trailer header is not supported.");
      }
    }
  }
  if (has_trailer_header && options.mode == StreamingMode::kSigned) {
    return InvalidRequest("x-amz-trailer requires a STREAMING-*-TRAILER x-amz-content-sha256.");
  }
  return options;
}

}  // namespace coffer::auth
