// aws-chunked decoding and the SigV4 verifier's streaming options: AWS's
// published example upload, then every check that rejects a body, each fed
// exactly its bad input.
#include "auth/aws_chunked.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "auth/canonical.h"
#include "auth/sigv4_test_util.h"
#include "common/encoding.h"

namespace coffer::auth {
namespace {

using namespace coffer::auth::sigv4_testing;  // NOLINT(google-build-using-namespace)
using crypto::ChecksumAlgorithm;

// AWS S3 API Reference, "Transferring payload in multiple chunks", Example:
// PUT Object of 65536 + 1024 bytes of 'a'.
constexpr char kAkid[] = "AKIAIOSFODNN7EXAMPLE";
constexpr char kSecret[] = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
constexpr char kDate[] = "20130524T000000Z";
constexpr char kScope[] = "20130524/us-east-1/s3/aws4_request";
constexpr char kSeed[] = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";
constexpr char kSig1[] = "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648";
constexpr char kSig2[] = "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497";
constexpr char kSigFinal[] = "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9";

HttpRequest ExampleRequest() {
  HttpRequest request;
  request.method = "PUT";
  request.target = "/examplebucket/chunkObject.txt";
  request.headers = {
      {"Host", "s3.amazonaws.com"},
      {"x-amz-date", kDate},
      {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
      {"Authorization",
       std::string("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
                   "SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;"
                   "x-amz-decoded-content-length;x-amz-storage-class,Signature=") +
           kSeed},
      {"x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"},
      {"Content-Encoding", "aws-chunked"},
      {"x-amz-decoded-content-length", "66560"},
      {"Content-Length", "66824"},
  };
  return request;
}

std::string ExampleBody() {
  return "10000;chunk-signature=" + std::string(kSig1) + "\r\n" + std::string(65536, 'a') + "\r\n" +
         "400;chunk-signature=" + kSig2 + "\r\n" + std::string(1024, 'a') + "\r\n" +
         "0;chunk-signature=" + kSigFinal + "\r\n\r\n";
}

SecretBytes ExampleKey() {
  const crypto::Sha256Digest key =
      internal::DeriveSigningKey(AsBytes(kSecret), "20130524", "us-east-1", "s3");
  return SecretBytes(key);
}

ChunkedOptions ExampleOptions(StreamingMode mode = StreamingMode::kSigned) {
  ChunkedOptions options;
  options.mode = mode;
  options.seed_signature = kSeed;
  options.amz_date = kDate;
  options.scope = kScope;
  options.signing_key = ExampleKey();
  return options;
}

// Signs chunks and trailers the way SDKs do, from the example's key.
class Encoder {
 public:
  std::string Chunk(std::string_view data) {
    const std::string sig = Sign("AWS4-HMAC-SHA256-PAYLOAD", BodyHash("") + "\n" + BodyHash(data));
    char size[20];
    std::snprintf(size, sizeof(size), "%zx", data.size());
    return std::string(size) + ";chunk-signature=" + sig + "\r\n" + std::string(data) +
           (data.empty() ? "" : "\r\n");
  }
  // Signed trailer: the headers, the signature, the closing empty line.
  std::string Trailer(const std::vector<std::string>& lines) {
    std::string canonical;
    std::string out;
    for (const std::string& line : lines) {
      canonical.append(line).append("\n");
      out.append(line).append("\r\n");
    }
    return out + "x-amz-trailer-signature:" + Sign("AWS4-HMAC-SHA256-TRAILER", BodyHash(canonical)) +
           "\r\n\r\n";
  }

 private:
  std::string Sign(std::string_view prefix, const std::string& tail) {
    const std::string string_to_sign =
        std::string(prefix) + "\n" + kDate + "\n" + kScope + "\n" + prev_ + "\n" + tail;
    std::string sig;
    internal::AppendSignature(key_.view(), string_to_sign, sig);
    prev_ = sig;
    return sig;
  }
  SecretBytes key_ = ExampleKey();
  std::string prev_ = kSeed;
};

// Chunks in order (each signature chains on the one before: one statement
// per chunk, as operands of + are evaluated in no fixed order).
std::string SignedChunks(Encoder& encoder, std::initializer_list<std::string_view> chunks) {
  std::string out;
  for (const std::string_view chunk : chunks) out += encoder.Chunk(chunk);
  return out;
}

// Feeds `body` in pieces cut at `cuts` (ascending offsets), then finishes.
Status Decode(AwsChunkedDecoder& decoder, std::string_view body, const std::vector<std::size_t>& cuts,
              std::string* out = nullptr) {
  std::size_t at = 0;
  const auto sink = [out](std::string_view data) {
    if (out != nullptr) out->append(data);
    return Status::Ok();
  };
  std::vector<std::size_t> ends = cuts;
  ends.push_back(body.size());
  for (const std::size_t end : ends) {
    RETURN_IF_ERROR(decoder.Feed(body.substr(at, end - at), sink));
    at = end;
  }
  return decoder.Finish();
}

Status DecodeWhole(ChunkedOptions options, std::string_view body, std::string* out = nullptr) {
  AwsChunkedDecoder decoder(std::move(options));
  return Decode(decoder, body, {}, out);
}

void ExpectError(const Status& status, ErrorCode code, std::string_view name, std::string_view message) {
  EXPECT_EQ(status.code(), code) << status.ToString();
  EXPECT_EQ(WireName(status), name) << status.ToString();
  EXPECT_EQ(status.message(), message);
}

constexpr std::string_view kChunkMismatch =
    "The chunk signature we calculated does not match the signature you provided. Check your AWS Secret "
    "Access Key and signing method.";
constexpr std::string_view kTrailerMismatch =
    "The trailer signature we calculated does not match the signature you provided. Check your AWS Secret "
    "Access Key and signing method.";

// ---------------------------------------------------------------------------
// The verifier's streaming options, on the published example's headers.

class StreamingVerifyTest : public ::testing::Test {
 protected:
  StreamingVerifyTest() { secrets_.Add(kAkid, kSecret); }

  HttpRequest SignedS3(std::optional<std::string> content_sha256) {
    HttpRequest request;
    request.method = "PUT";
    request.target = "/bucket/key";
    request.headers = {{"Host", "s3.amazonaws.com"}};
    if (content_sha256) request.headers.emplace_back("x-amz-content-sha256", *content_sha256);
    SigningParams params;
    params.access_key_id = kAkid;
    params.secret_access_key = kSecret;
    params.region = "us-east-1";
    params.service = "s3";
    params.time = clock_.Now();
    params.normalize_path = false;
    EXPECT_TRUE(SignRequest(request, params).ok());
    return request;
  }

  FakeClock clock_{IsoTime("2013-05-24T00:00:00Z")};
  MapSecrets secrets_;
  SigV4Verifier verifier_{clock_, secrets_};
};

TEST_F(StreamingVerifyTest, BodyFollowsYieldsTheChunkSigningContext) {
  StatusOr<VerifiedIdentity> identity =
      verifier_.Verify(ExampleRequest(), {.body_follows = true, .want_signing_key = true});
  ASSERT_TRUE(identity.ok()) << identity.status().ToString();
  EXPECT_EQ(identity->access_key_id, kAkid);
  EXPECT_EQ(identity->service, "s3");
  EXPECT_EQ(identity->signature, kSeed);
  EXPECT_EQ(identity->amz_date, kDate);
  EXPECT_EQ(identity->scope, kScope);
  EXPECT_EQ(identity->payload_hash, kStreamingSignedPayload);
  const SecretBytes key = ExampleKey();
  EXPECT_TRUE(ConstantTimeEquals(identity->signing_key.view(), key.view()));

  // Cached key on the second call: same answer.
  identity = verifier_.Verify(ExampleRequest(), {.body_follows = true, .want_signing_key = true});
  ASSERT_TRUE(identity.ok());
  EXPECT_TRUE(ConstantTimeEquals(identity->signing_key.view(), key.view()));
}

TEST_F(StreamingVerifyTest, SigningKeyOnlyWhenAskedFor) {
  const StatusOr<VerifiedIdentity> identity = verifier_.Verify(ExampleRequest(), {.body_follows = true});
  ASSERT_TRUE(identity.ok());
  EXPECT_TRUE(identity->signing_key.empty());
  EXPECT_EQ(identity->signature, kSeed);
}

// The one-argument Verify still hashes request.body: a STREAMING value does
// not match the (empty) body, as before.
TEST_F(StreamingVerifyTest, PlainVerifyIsUnchanged) {
  const StatusOr<VerifiedIdentity> identity = verifier_.Verify(ExampleRequest());
  ExpectError(identity.status(), ErrorCode::kInvalidSignature, "InvalidSignatureException",
              "The provided 'x-amz-content-sha256' header does not match what was computed.");

  HttpRequest request = SignedS3(BodyHash(""));
  StatusOr<VerifiedIdentity> plain = verifier_.Verify(request);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->payload_hash, BodyHash(""));
  EXPECT_TRUE(plain->signing_key.empty());
  request.body = "not empty";
  EXPECT_EQ(verifier_.Verify(request).status().code(), ErrorCode::kInvalidSignature);
  // With the body to follow, the claimed hash is what is signed.
  EXPECT_TRUE(verifier_.Verify(request, {.body_follows = true}).ok());
}

TEST_F(StreamingVerifyTest, BodyFollowsAcceptsEveryKnownPayloadValue) {
  for (const std::string& value : std::vector<std::string>{
           std::string(BodyHash("x")), std::string("UNSIGNED-PAYLOAD"), std::string(kStreamingSignedPayload),
           std::string(kStreamingSignedPayloadTrailer), std::string(kStreamingUnsignedPayloadTrailer)}) {
    const StatusOr<VerifiedIdentity> identity = verifier_.Verify(SignedS3(value), {.body_follows = true});
    ASSERT_TRUE(identity.ok()) << value << ": " << identity.status().ToString();
    EXPECT_EQ(identity->payload_hash, value);
  }
}

TEST_F(StreamingVerifyTest, BodyFollowsNeedsTheContentSha256Header) {
  const StatusOr<VerifiedIdentity> identity =
      verifier_.Verify(SignedS3(std::nullopt), {.body_follows = true});
  ExpectError(identity.status(), ErrorCode::kValidation, "InvalidRequest",
              "Missing required header for this request: x-amz-content-sha256");
}

TEST_F(StreamingVerifyTest, BodyFollowsRejectsAnUnknownPayloadValue) {
  for (const std::string& value : std::vector<std::string>{
           "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD", "streaming-aws4-hmac-sha256-payload", "abc",
           std::string(63, 'a'), std::string(63, 'a') + "g"}) {
    const StatusOr<VerifiedIdentity> identity = verifier_.Verify(SignedS3(value), {.body_follows = true});
    EXPECT_EQ(identity.status().code(), ErrorCode::kValidation) << value;
    EXPECT_EQ(WireName(identity.status()), "InvalidArgument") << value;
  }
}

TEST_F(StreamingVerifyTest, PresignedWithoutTheHeaderIsUnsigned) {
  HttpRequest request;
  request.method = "PUT";
  request.target = "/bucket/key";
  request.headers = {{"Host", "s3.amazonaws.com"}};
  SigningParams params;
  params.access_key_id = kAkid;
  params.secret_access_key = kSecret;
  params.region = "us-east-1";
  params.service = "s3";
  params.time = clock_.Now();
  params.normalize_path = false;
  ASSERT_TRUE(PresignRequest(request, params, std::chrono::seconds(300)).ok());
  const StatusOr<VerifiedIdentity> identity = verifier_.Verify(request, {.body_follows = true});
  ASSERT_TRUE(identity.ok()) << identity.status().ToString();
  EXPECT_EQ(identity->payload_hash, "UNSIGNED-PAYLOAD");
}

TEST_F(StreamingVerifyTest, BodyFollowsIsOnlyForS3) {
  HttpRequest request;
  request.method = "POST";
  request.target = "/";
  request.headers = {{"Host", "kms.us-east-1.amazonaws.com"}};
  SigningParams params;
  params.access_key_id = kAkid;
  params.secret_access_key = kSecret;
  params.region = "us-east-1";
  params.service = "kms";
  params.time = clock_.Now();
  ASSERT_TRUE(SignRequest(request, params).ok());
  EXPECT_TRUE(verifier_.Verify(request).ok());
  EXPECT_EQ(verifier_.Verify(request, {.body_follows = true}).status().code(), ErrorCode::kValidation);
}

TEST_F(StreamingVerifyTest, OptionsFromTheVerifiedRequest) {
  StatusOr<VerifiedIdentity> identity =
      verifier_.Verify(ExampleRequest(), {.body_follows = true, .want_signing_key = true});
  ASSERT_TRUE(identity.ok());
  StatusOr<ChunkedOptions> options = ChunkedOptionsFor(ExampleRequest(), *identity);
  ASSERT_TRUE(options.ok()) << options.status().ToString();
  EXPECT_EQ(options->mode, StreamingMode::kSigned);
  EXPECT_EQ(options->decoded_length, 66560u);
  EXPECT_EQ(options->trailer_checksum, std::nullopt);
  EXPECT_EQ(options->seed_signature, kSeed);
  std::string out;
  ASSERT_TRUE(DecodeWhole(std::move(*options), ExampleBody(), &out).ok());
  EXPECT_EQ(out, std::string(66560, 'a'));
}

TEST(ChunkedOptionsForTest, RejectsBadHeaders) {
  VerifiedIdentity identity;
  identity.payload_hash = kStreamingUnsignedPayloadTrailer;
  HttpRequest request;
  request.headers = {{"x-amz-decoded-content-length", "12x"}};
  ExpectError(ChunkedOptionsFor(request, identity).status(), ErrorCode::kValidation, "InvalidArgument",
              "x-amz-decoded-content-length must be a decimal number of bytes.");
  request.headers = {{"x-amz-trailer", "x-amz-checksum-md5"}};
  ExpectError(ChunkedOptionsFor(request, identity).status(), ErrorCode::kValidation, "InvalidRequest",
              "The value specified in the x-amz-trailer header is not supported.");
  request.headers = {{"X-Amz-Trailer", "x-amz-checksum-crc64nvme"}, {"x-amz-decoded-content-length", "7"}};
  StatusOr<ChunkedOptions> options = ChunkedOptionsFor(request, identity);
  ASSERT_TRUE(options.ok());
  EXPECT_EQ(options->mode, StreamingMode::kUnsignedTrailer);
  EXPECT_EQ(options->trailer_checksum, ChecksumAlgorithm::kCrc64Nvme);
  EXPECT_EQ(options->decoded_length, 7u);

  identity.payload_hash = kStreamingSignedPayload;
  request.headers = {{"x-amz-trailer", "x-amz-checksum-crc32"}};
  EXPECT_EQ(WireName(ChunkedOptionsFor(request, identity).status()), "InvalidRequest");
  identity.payload_hash = "UNSIGNED-PAYLOAD";
  EXPECT_EQ(WireName(ChunkedOptionsFor(request, identity).status()), "InvalidRequest");
}

TEST(StreamingModeTest, OnlyTheThreeStreamingValues) {
  EXPECT_EQ(StreamingModeFor("STREAMING-AWS4-HMAC-SHA256-PAYLOAD"), StreamingMode::kSigned);
  EXPECT_EQ(StreamingModeFor("STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"), StreamingMode::kSignedTrailer);
  EXPECT_EQ(StreamingModeFor("STREAMING-UNSIGNED-PAYLOAD-TRAILER"), StreamingMode::kUnsignedTrailer);
  EXPECT_EQ(StreamingModeFor("UNSIGNED-PAYLOAD"), std::nullopt);
  EXPECT_EQ(StreamingModeFor("streaming-aws4-hmac-sha256-payload"), std::nullopt);
  EXPECT_EQ(StreamingModeFor(""), std::nullopt);
}

// ---------------------------------------------------------------------------
// The published example, whole, byte by byte and in random pieces.

TEST(AwsChunkedExampleTest, EncoderReproducesThePublishedSignatures) {
  Encoder encoder;
  EXPECT_EQ(encoder.Chunk(std::string(65536, 'a')),
            "10000;chunk-signature=" + std::string(kSig1) + "\r\n" + std::string(65536, 'a') + "\r\n");
  EXPECT_EQ(encoder.Chunk(std::string(1024, 'a')).substr(0, 20 + 64),
            "400;chunk-signature=" + std::string(kSig2));
  EXPECT_EQ(encoder.Chunk(""), "0;chunk-signature=" + std::string(kSigFinal) + "\r\n");
}

TEST(AwsChunkedExampleTest, Whole) {
  const std::string body = ExampleBody();
  ASSERT_EQ(body.size(), 66824u);  // the example's Content-Length
  ChunkedOptions options = ExampleOptions();
  options.decoded_length = 66560;
  options.compute_checksum = ChecksumAlgorithm::kCrc32c;
  AwsChunkedDecoder decoder(std::move(options));
  std::string out;
  ASSERT_TRUE(Decode(decoder, body, {}, &out).ok());
  EXPECT_EQ(out, std::string(66560, 'a'));
  EXPECT_EQ(decoder.decoded_bytes(), 66560u);
  EXPECT_TRUE(decoder.done());
  EXPECT_EQ(decoder.computed_checksum(), crypto::ChecksumBase64(ChecksumAlgorithm::kCrc32c, out));
  EXPECT_EQ(decoder.trailer_checksum(), std::nullopt);
}

TEST(AwsChunkedExampleTest, ByteByByte) {
  const std::string body = ExampleBody();
  std::vector<std::size_t> cuts;
  for (std::size_t i = 1; i < body.size(); ++i) cuts.push_back(i);
  AwsChunkedDecoder decoder(ExampleOptions());
  std::string out;
  ASSERT_TRUE(Decode(decoder, body, cuts, &out).ok());
  EXPECT_EQ(out, std::string(66560, 'a'));
}

TEST(AwsChunkedExampleTest, RandomSplits) {
  const std::string body = ExampleBody();
  std::mt19937 rng(20130524);
  for (int round = 0; round < 50; ++round) {
    std::vector<std::size_t> cuts;
    std::size_t at = 0;
    while (true) {
      at += std::uniform_int_distribution<std::size_t>(0, round % 2 ? 200 : 20000)(rng);
      if (at >= body.size()) break;
      cuts.push_back(at);
    }
    AwsChunkedDecoder decoder(ExampleOptions());
    std::string out;
    ASSERT_TRUE(Decode(decoder, body, cuts, &out).ok()) << "round " << round;
    ASSERT_EQ(out, std::string(66560, 'a'));
  }
}

// ---------------------------------------------------------------------------
// Signed chunks: each rejecting check.

TEST(AwsChunkedSignedTest, WrongChunkSignature) {
  std::string body = ExampleBody();
  body[30] = body[30] == '0' ? '1' : '0';  // inside the first signature
  ExpectError(DecodeWhole(ExampleOptions(), body), ErrorCode::kInvalidSignature, "SignatureDoesNotMatch",
              kChunkMismatch);
}

TEST(AwsChunkedSignedTest, TamperedDataBreaksItsChunkSignature) {
  std::string body = ExampleBody();
  body[88 + 65536 + 2 + 86 + 10] = 'b';  // inside the second chunk's data
  std::string out;
  AwsChunkedDecoder decoder(ExampleOptions());
  ExpectError(Decode(decoder, body, {}, &out), ErrorCode::kInvalidSignature, "SignatureDoesNotMatch",
              kChunkMismatch);
  EXPECT_EQ(out.size(), 66560u);  // handed over before its chunk ended: provisional
}

TEST(AwsChunkedSignedTest, WrongFinalChunkSignature) {
  std::string body = ExampleBody();
  body[body.size() - 10] = body[body.size() - 10] == '0' ? '1' : '0';
  ExpectError(DecodeWhole(ExampleOptions(), body), ErrorCode::kInvalidSignature, "SignatureDoesNotMatch",
              kChunkMismatch);
}

TEST(AwsChunkedSignedTest, ChunksOutOfOrder) {
  Encoder encoder;
  const std::string first = encoder.Chunk("abc");
  const std::string second = encoder.Chunk("def");
  ExpectError(DecodeWhole(ExampleOptions(), second + first), ErrorCode::kInvalidSignature,
              "SignatureDoesNotMatch", kChunkMismatch);
}

TEST(AwsChunkedSignedTest, MissingChunkSignature) {
  ExpectError(DecodeWhole(ExampleOptions(), "10000\r\n"), ErrorCode::kValidation, "InvalidRequest",
              "The chunk header has no chunk-signature.");
}

TEST(AwsChunkedSignedTest, MalformedChunkSignature) {
  for (const std::string& line :
       std::vector<std::string>{"3;chunk-signature=abc\r\n", "3;chunk-sig=" + std::string(64, 'a') + "\r\n",
                                "3;chunk-signature=" + std::string(65, 'a') + "\r\n"}) {
    ExpectError(DecodeWhole(ExampleOptions(), line), ErrorCode::kValidation, "InvalidRequest",
                "The chunk header's chunk-signature is malformed.");
  }
}

TEST(AwsChunkedSignedTest, MissingSigningKey) {
  ChunkedOptions options = ExampleOptions();
  options.signing_key = SecretBytes();
  EXPECT_EQ(DecodeWhole(std::move(options), ExampleBody()).code(), ErrorCode::kInternal);
}

// ---------------------------------------------------------------------------
// Framing, in the mode without signatures unless a signature is the point.

ChunkedOptions Unsigned() {
  ChunkedOptions options;
  options.mode = StreamingMode::kUnsignedTrailer;
  return options;
}

TEST(AwsChunkedFramingTest, EmptySize) {
  ExpectError(DecodeWhole(ExampleOptions(), ";chunk-signature=" + std::string(kSig1) + "\r\n"),
              ErrorCode::kValidation, "InvalidRequest", "The chunk header has no chunk size.");
  ExpectError(DecodeWhole(Unsigned(), "\r\n"), ErrorCode::kValidation, "InvalidRequest",
              "The chunk header has no chunk size.");
}

TEST(AwsChunkedFramingTest, NonHexSize) {
  for (const std::string_view line : {"1g\r\n", "-1\r\n", " 5\r\n", "5 \r\n", "0x5\r\n", "5\r\r\n"}) {
    ExpectError(DecodeWhole(Unsigned(), line), ErrorCode::kValidation, "InvalidRequest",
                "The chunk size is not a hexadecimal number.");
  }
}

TEST(AwsChunkedFramingTest, SizeTooLarge) {
  const std::string message = "The chunk size exceeds the maximum of 67108864 bytes.";
  ExpectError(DecodeWhole(Unsigned(), "4000001\r\n"), ErrorCode::kValidation, "InvalidRequest", message);
  ExpectError(DecodeWhole(Unsigned(), "ffffffffffffffff\r\n"), ErrorCode::kValidation, "InvalidRequest",
              message);
  ExpectError(DecodeWhole(Unsigned(), "00000000000000001\r\n"), ErrorCode::kValidation, "InvalidRequest",
              message);
  // The limit itself is fine.
  ChunkedOptions options = Unsigned();
  options.max_chunk_size = 4;
  EXPECT_TRUE(DecodeWhole(std::move(options), "4\r\nabcd\r\n0\r\n\r\n").ok());
}

TEST(AwsChunkedFramingTest, SizeLineTooLong) {
  const std::string line = "5;" + std::string(kMaxChunkLineLen, 'x');
  AwsChunkedDecoder decoder(Unsigned());
  // Rejected as soon as the bound is passed, before any line end arrives.
  ExpectError(decoder.Feed(line, [](std::string_view) { return Status::Ok(); }), ErrorCode::kValidation,
              "InvalidRequest", "The chunk header line is too long.");
  // At the bound it is accepted (an ignored extension in unsigned mode).
  const std::string longest = "5;" + std::string(kMaxChunkLineLen - 2, 'x') + "\r\nhello\r\n0\r\n\r\n";
  EXPECT_TRUE(DecodeWhole(Unsigned(), longest).ok());
}

TEST(AwsChunkedFramingTest, LineWithoutCarriageReturn) {
  ExpectError(DecodeWhole(Unsigned(), "5\nhello\r\n"), ErrorCode::kValidation, "InvalidRequest",
              "A chunk line must end with CRLF.");
}

TEST(AwsChunkedFramingTest, MissingCrlfAfterData) {
  for (const std::string_view body : {"5\r\nhelloX\r\n", "5\r\nhello\rX", "5\r\nhello0\r\n\r\n"}) {
    ExpectError(DecodeWhole(Unsigned(), body), ErrorCode::kValidation, "InvalidRequest",
                "Chunk data must be followed by CRLF.");
  }
  Encoder encoder;
  std::string signed_body = encoder.Chunk("hello");
  signed_body.resize(signed_body.size() - 2);
  ExpectError(DecodeWhole(ExampleOptions(), signed_body + "XX"), ErrorCode::kValidation, "InvalidRequest",
              "Chunk data must be followed by CRLF.");
}

TEST(AwsChunkedFramingTest, ShortBody) {
  const std::string body = ExampleBody();
  for (const std::size_t len : {std::size_t{0}, std::size_t{5}, std::size_t{88}, std::size_t{1000},
                                std::size_t{65625}, body.size() - 2, body.size() - 1}) {
    ExpectError(DecodeWhole(ExampleOptions(), std::string_view(body).substr(0, len)), ErrorCode::kValidation,
                "IncompleteBody", "The request body ended before its final chunk.");
  }
}

TEST(AwsChunkedFramingTest, BytesAfterTheFinalChunk) {
  ExpectError(DecodeWhole(ExampleOptions(), ExampleBody() + "x"), ErrorCode::kValidation, "InvalidRequest",
              "The request body continues after its final chunk.");
  ExpectError(DecodeWhole(Unsigned(), "0\r\n\r\n\r\n"), ErrorCode::kValidation, "InvalidRequest",
              "The request body continues after its final chunk.");
  // Signed mode has no trailer: the final chunk's line is followed by CRLF only.
  std::string body = ExampleBody();
  body.resize(body.size() - 2);
  ExpectError(DecodeWhole(ExampleOptions(), body + "x-amz-checksum-crc32:AAAAAA==\r\n\r\n"),
              ErrorCode::kValidation, "InvalidRequest", "The final chunk must be followed by an empty line.");
}

TEST(AwsChunkedFramingTest, DecodedLengthMismatch) {
  ChunkedOptions longer = ExampleOptions();
  longer.decoded_length = 66561;
  ExpectError(DecodeWhole(std::move(longer), ExampleBody()), ErrorCode::kValidation, "IncompleteBody",
              "The decoded body is shorter than x-amz-decoded-content-length.");
  ChunkedOptions shorter = ExampleOptions();
  shorter.decoded_length = 66559;
  std::string out;
  ExpectError(DecodeWhole(std::move(shorter), ExampleBody(), &out), ErrorCode::kValidation, "InvalidRequest",
              "The decoded body is longer than x-amz-decoded-content-length.");
  EXPECT_EQ(out.size(), 65536u);  // refused at the second chunk's header, before its data
}

TEST(AwsChunkedFramingTest, ErrorsAreSticky) {
  AwsChunkedDecoder decoder(Unsigned());
  const auto sink = [](std::string_view) { return Status::Ok(); };
  const Status first = decoder.Feed("zz\r\n", sink);
  EXPECT_FALSE(first.ok());
  EXPECT_EQ(decoder.Feed("0\r\n\r\n", sink).message(), first.message());
  EXPECT_EQ(decoder.Finish().message(), first.message());
}

TEST(AwsChunkedFramingTest, SinkErrorStopsDecoding) {
  AwsChunkedDecoder decoder(Unsigned());
  int calls = 0;
  const Status status = decoder.Feed("5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n", [&calls](std::string_view) {
    ++calls;
    return Status(ErrorCode::kRequestTooLarge, "quota");
  });
  EXPECT_EQ(status.code(), ErrorCode::kRequestTooLarge);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(decoder.Finish().code(), ErrorCode::kRequestTooLarge);
}

// ---------------------------------------------------------------------------
// Trailers.

constexpr std::string_view kHelloWorldCrc32 = "DUoRhQ==";  // CRC32 of "hello world"

ChunkedOptions UnsignedCrc32() {
  ChunkedOptions options = Unsigned();
  options.trailer_checksum = ChecksumAlgorithm::kCrc32;
  return options;
}

std::string UnsignedBody(std::string_view trailer) {
  return "5\r\nhello\r\n6\r\n world\r\n0\r\n" + std::string(trailer) + "\r\n";
}

TEST(AwsChunkedTrailerTest, UnsignedTrailerChecksum) {
  const std::string body = UnsignedBody("x-amz-checksum-crc32:DUoRhQ==\r\n");
  std::vector<std::size_t> cuts;
  for (std::size_t i = 1; i < body.size(); ++i) cuts.push_back(i);
  ChunkedOptions options = UnsignedCrc32();
  options.decoded_length = 11;
  options.compute_checksum = ChecksumAlgorithm::kSha256;
  AwsChunkedDecoder decoder(std::move(options));
  std::string out;
  ASSERT_TRUE(Decode(decoder, body, cuts, &out).ok());
  EXPECT_EQ(out, "hello world");
  EXPECT_EQ(decoder.trailer_checksum(), kHelloWorldCrc32);
  EXPECT_EQ(decoder.computed_checksum(), crypto::ChecksumBase64(ChecksumAlgorithm::kSha256, "hello world"));
}

TEST(AwsChunkedTrailerTest, HeaderNameAnyCaseValueTrimmed) {
  EXPECT_TRUE(DecodeWhole(UnsignedCrc32(), UnsignedBody("X-Amz-Checksum-CRC32: DUoRhQ==\r\n")).ok());
}

TEST(AwsChunkedTrailerTest, EmptyTrailerWhenNoneAnnounced) {
  EXPECT_TRUE(DecodeWhole(Unsigned(), UnsignedBody("")).ok());
}

TEST(AwsChunkedTrailerTest, SignedTrailer) {
  Encoder encoder;
  const std::string checksum = crypto::ChecksumBase64(ChecksumAlgorithm::kCrc32c, "hello world");
  std::string body = SignedChunks(encoder, {"hello", " world", ""});
  body += encoder.Trailer({"x-amz-checksum-crc32c:" + checksum});
  std::vector<std::size_t> cuts;
  for (std::size_t i = 1; i < body.size(); ++i) cuts.push_back(i);
  ChunkedOptions options = ExampleOptions(StreamingMode::kSignedTrailer);
  options.trailer_checksum = ChecksumAlgorithm::kCrc32c;
  AwsChunkedDecoder decoder(std::move(options));
  std::string out;
  ASSERT_TRUE(Decode(decoder, body, cuts, &out).ok());
  EXPECT_EQ(out, "hello world");
  EXPECT_EQ(decoder.trailer_checksum(), checksum);
}

TEST(AwsChunkedTrailerTest, WrongTrailerSignature) {
  Encoder encoder;
  const std::string checksum = crypto::ChecksumBase64(ChecksumAlgorithm::kCrc32c, "hi");
  std::string body = SignedChunks(encoder, {"hi", ""});
  body += encoder.Trailer({"x-amz-checksum-crc32c:" + checksum});
  body[body.size() - 6] = body[body.size() - 6] == '0' ? '1' : '0';
  ChunkedOptions options = ExampleOptions(StreamingMode::kSignedTrailer);
  options.trailer_checksum = ChecksumAlgorithm::kCrc32c;
  ExpectError(DecodeWhole(std::move(options), body), ErrorCode::kInvalidSignature, "SignatureDoesNotMatch",
              kTrailerMismatch);
}

TEST(AwsChunkedTrailerTest, TrailerSignatureCoversTheChecksum) {
  Encoder encoder;
  std::string body = SignedChunks(encoder, {"hi", ""});
  body += encoder.Trailer({"x-amz-checksum-crc32c:AAAAAA=="});
  ChunkedOptions options = ExampleOptions(StreamingMode::kSignedTrailer);
  options.trailer_checksum = ChecksumAlgorithm::kCrc32c;
  const std::string swapped =
      ReplaceFirst(body, "AAAAAA==", crypto::ChecksumBase64(ChecksumAlgorithm::kCrc32c, "hi"));
  ExpectError(DecodeWhole(std::move(options), swapped), ErrorCode::kInvalidSignature, "SignatureDoesNotMatch",
              kTrailerMismatch);
}

TEST(AwsChunkedTrailerTest, MissingTrailerSignature) {
  Encoder encoder;
  const std::string body = SignedChunks(encoder, {"hi", ""}) + "\r\n";
  ExpectError(DecodeWhole(ExampleOptions(StreamingMode::kSignedTrailer), body), ErrorCode::kValidation,
              "MalformedTrailerError", "The trailer has no x-amz-trailer-signature.");
}

TEST(AwsChunkedTrailerTest, HeaderAfterTrailerSignature) {
  Encoder encoder;
  std::string body = SignedChunks(encoder, {"hi", ""});
  body += encoder.Trailer({});
  body.resize(body.size() - 2);
  ChunkedOptions options = ExampleOptions(StreamingMode::kSignedTrailer);
  options.trailer_checksum = ChecksumAlgorithm::kCrc32;
  ExpectError(DecodeWhole(std::move(options), body + "x-amz-checksum-crc32:AAAAAA==\r\n\r\n"),
              ErrorCode::kValidation, "MalformedTrailerError",
              "x-amz-trailer-signature must be the trailer's last header.");
}

TEST(AwsChunkedTrailerTest, TrailerSignatureInUnsignedMode) {
  ExpectError(
      DecodeWhole(Unsigned(), UnsignedBody("x-amz-trailer-signature:" + std::string(64, 'a') + "\r\n")),
      ErrorCode::kValidation, "MalformedTrailerError",
      "The trailer contains a header that x-amz-trailer did not announce.");
}

TEST(AwsChunkedTrailerTest, MissingTrailerChecksum) {
  ExpectError(DecodeWhole(UnsignedCrc32(), UnsignedBody("")), ErrorCode::kValidation, "InvalidRequest",
              "The trailer does not carry x-amz-checksum-crc32, which x-amz-trailer announced.");
}

TEST(AwsChunkedTrailerTest, WrongTrailerChecksum) {
  AwsChunkedDecoder decoder(UnsignedCrc32());
  ExpectError(Decode(decoder, UnsignedBody("x-amz-checksum-crc32:AAAAAA==\r\n"), {}), ErrorCode::kValidation,
              "BadDigest", "The CRC32 you specified did not match the calculated checksum.");
  EXPECT_EQ(decoder.trailer_checksum(), std::nullopt);
}

TEST(AwsChunkedTrailerTest, MalformedTrailerChecksum) {
  for (const std::string_view value : {"not base64!", "AAAA", "AAAAAAAAAAA=", ""}) {
    ExpectError(
        DecodeWhole(UnsignedCrc32(), UnsignedBody("x-amz-checksum-crc32:" + std::string(value) + "\r\n")),
        ErrorCode::kValidation, "InvalidRequest",
        "Value for x-amz-checksum-crc32 trailing header is invalid.");
  }
}

TEST(AwsChunkedTrailerTest, UnannouncedTrailerHeader) {
  ExpectError(DecodeWhole(UnsignedCrc32(), UnsignedBody("x-amz-checksum-crc32c:yZRlqg==\r\n")),
              ErrorCode::kValidation, "MalformedTrailerError",
              "The trailer contains a header that x-amz-trailer did not announce.");
}

TEST(AwsChunkedTrailerTest, RepeatedTrailerHeader) {
  ExpectError(DecodeWhole(UnsignedCrc32(),
                          UnsignedBody("x-amz-checksum-crc32:DUoRhQ==\r\nx-amz-checksum-crc32:DUoRhQ==\r\n")),
              ErrorCode::kValidation, "MalformedTrailerError", "The trailer repeats a header.");
}

TEST(AwsChunkedTrailerTest, TrailerLineNotAHeader) {
  for (const std::string_view line : {"garbage", ":value", "x-amz-checksum-crc32:DUoR\x01hQ=="}) {
    ExpectError(DecodeWhole(UnsignedCrc32(), UnsignedBody(std::string(line) + "\r\n")),
                ErrorCode::kValidation, "MalformedTrailerError",
                "The trailer contains a line that is not a header.");
  }
}

TEST(AwsChunkedTrailerTest, OversizedTrailer) {
  // One line past the bound, rejected before its end arrives.
  AwsChunkedDecoder decoder(UnsignedCrc32());
  const std::string body = "0\r\nx-amz-checksum-crc32:" + std::string(kMaxTrailerLen, 'A');
  ExpectError(decoder.Feed(body, [](std::string_view) { return Status::Ok(); }), ErrorCode::kValidation,
              "MalformedTrailerError", "The trailer is too long.");
  // The bound covers the whole section, its closing empty line included.
  const std::string name = "x-amz-checksum-crc32:";
  const std::size_t longest = kMaxTrailerLen - name.size() - 4;
  ExpectError(DecodeWhole(UnsignedCrc32(), UnsignedBody(name + std::string(longest, 'A') + "\r\n")),
              ErrorCode::kValidation, "InvalidRequest",
              "Value for x-amz-checksum-crc32 trailing header is invalid.");
  ExpectError(DecodeWhole(UnsignedCrc32(), UnsignedBody(name + std::string(longest + 1, 'A') + "\r\n")),
              ErrorCode::kValidation, "MalformedTrailerError", "The trailer is too long.");
}

}  // namespace
}  // namespace coffer::auth
