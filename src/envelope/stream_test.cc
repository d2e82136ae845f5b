// The streaming Encryptor and Decryptor: any chunking of the input gives the
// same plaintext; frames leave as they verify; signed messages withhold
// plaintext until the footer verifies unless the caller opts in.
#include "envelope/suite.h"
#include "envelope/test_util.h"

namespace coffer::envelope {
namespace {

using testing::TestAesKeyring;

constexpr std::uint32_t kFrame = 64;
constexpr SuiteId kCommitting = SuiteId::kAes256GcmHkdfSha512CommitKey;
constexpr SuiteId kSigned = SuiteId::kAes256GcmHkdfSha512CommitKeyEcdsaP384;

Bytes Pattern(std::size_t n) {
  Bytes out(n);
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<std::uint8_t>(i * 13 + 1);
  return out;
}

// Collects what a stream writes, and counts the writes.
class CollectSink final : public Sink {
 public:
  Status Write(ByteView bytes) override {
    data.insert(data.end(), bytes.begin(), bytes.end());
    ++writes;
    return Status::Ok();
  }
  Bytes data;
  int writes = 0;
};

class FailingSink final : public Sink {
 public:
  Status Write(ByteView) override { return InternalError("disk full"); }
};

EncryptOptions Options(SuiteId suite, std::uint32_t frame) {
  EncryptOptions options;
  options.suite = suite;
  options.frame_length = frame;
  if (!GetSuite(suite).committing) options.commitment_policy = CommitmentPolicy::kForbidEncryptAllowDecrypt;
  return options;
}

DecryptOptions AllowAll() {
  DecryptOptions options;
  options.commitment_policy = CommitmentPolicy::kRequireEncryptAllowDecrypt;
  return options;
}

Bytes StreamEncrypt(CryptoMaterialsManager& cmm, ByteView plaintext, std::size_t chunk,
                    const EncryptOptions& options) {
  auto encryptor = Encryptor::Create(cmm, {{"k", "v"}}, options);
  EXPECT_TRUE(encryptor.ok()) << encryptor.status().ToString();
  if (!encryptor.ok()) return {};
  CollectSink sink;
  for (std::size_t at = 0; at < plaintext.size(); at += chunk) {
    EXPECT_TRUE(
        (*encryptor)->Update(plaintext.subspan(at, std::min(chunk, plaintext.size() - at)), sink).ok());
  }
  EXPECT_TRUE((*encryptor)->Finish(sink).ok());
  return sink.data;
}

StatusOr<Bytes> StreamDecrypt(CryptoMaterialsManager& cmm, ByteView message, std::size_t chunk,
                              StreamOptions stream = {}) {
  ASSIGN_OR_RETURN(auto decryptor, Decryptor::Create(cmm, AllowAll(), stream));
  CollectSink sink;
  for (std::size_t at = 0; at < message.size(); at += chunk) {
    RETURN_IF_ERROR(decryptor->Update(message.subspan(at, std::min(chunk, message.size() - at)), sink));
  }
  RETURN_IF_ERROR(decryptor->Finish(sink));
  return sink.data;
}

TEST(StreamTest, AnyChunkingRoundTripsForEveryKindOfSuite) {
  auto keyring = TestAesKeyring();
  auto cmm = NewDefaultCmm(*keyring);
  int count = 0;
  for (SuiteId suite : {kCommitting, kSigned, SuiteId::kAes128GcmIv12Tag16NoKdf,
                        SuiteId::kAes128GcmIv12Tag16HkdfSha256EcdsaP256}) {
    for (std::uint32_t frame : {kFrame, 0u}) {
      for (std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{kFrame - 1}, std::size_t{kFrame},
                               std::size_t{kFrame + 1}, std::size_t{5 * kFrame + 3}}) {
        const Bytes plaintext = Pattern(size);
        for (std::size_t in_chunk :
             {std::size_t{1}, std::size_t{7}, std::size_t{kFrame}, std::size_t{1000}}) {
          const Bytes message = StreamEncrypt(*cmm, plaintext, in_chunk, Options(suite, frame));
          // The one-shot decrypt reads what the stream wrote ...
          auto one_shot = Decrypt(message, *cmm, AllowAll());
          ASSERT_TRUE(one_shot.ok()) << one_shot.status().ToString();
          EXPECT_EQ(Bytes(one_shot->plaintext.view().begin(), one_shot->plaintext.view().end()), plaintext);
          // ... and the stream reads it in any chunking.
          for (std::size_t out_chunk :
               {std::size_t{1}, std::size_t{5}, std::size_t{kFrame + 17}, message.size()}) {
            auto streamed = StreamDecrypt(*cmm, message, std::max<std::size_t>(out_chunk, 1));
            ASSERT_TRUE(streamed.ok()) << streamed.status().ToString();
            EXPECT_EQ(*streamed, plaintext);
            ++count;
          }
        }
      }
    }
  }
  EXPECT_EQ(count, 4 * 2 * 6 * 4 * 4);
}

TEST(StreamTest, StreamedMessageHasTheOneShotLayout) {
  auto keyring = TestAesKeyring();
  const Bytes plaintext = Pattern(3 * kFrame);
  auto one_shot = Encrypt(plaintext, *keyring, {{"k", "v"}}, Options(kCommitting, kFrame));
  ASSERT_TRUE(one_shot.ok());
  auto cmm = NewDefaultCmm(*keyring);
  // Exactly three frames, the last one a full final frame, in both.
  EXPECT_EQ(StreamEncrypt(*cmm, plaintext, 10, Options(kCommitting, kFrame)).size(), one_shot->size());
}

TEST(StreamTest, EncryptorWritesEachFrameOnceAByteBeyondItArrives) {
  auto keyring = TestAesKeyring();
  auto cmm = NewDefaultCmm(*keyring);
  auto encryptor = Encryptor::Create(*cmm, {}, Options(kCommitting, kFrame));
  ASSERT_TRUE(encryptor.ok());
  CollectSink sink;
  ASSERT_TRUE((*encryptor)->Update(Pattern(kFrame), sink).ok());
  const std::size_t header_only = sink.data.size();
  ASSERT_TRUE((*encryptor)->Update(Pattern(1), sink).ok());
  // One regular frame: sequence number, IV, content, tag.
  EXPECT_EQ(sink.data.size(), header_only + 4 + 12 + kFrame + 16);
  ASSERT_TRUE((*encryptor)->Finish(sink).ok());
  EXPECT_FALSE((*encryptor)->Update(Pattern(1), sink).ok());
  EXPECT_FALSE((*encryptor)->Finish(sink).ok());
}

TEST(StreamTest, DecryptorReleasesUnsignedFramesAsTheyVerify) {
  auto keyring = TestAesKeyring();
  auto cmm = NewDefaultCmm(*keyring);
  const Bytes message = StreamEncrypt(*cmm, Pattern(3 * kFrame + 1), 1000, Options(kCommitting, kFrame));
  auto decryptor = Decryptor::Create(*cmm, {});
  ASSERT_TRUE(decryptor.ok());
  CollectSink sink;
  const std::size_t header_len = message.size() - (3 * (4 + 12 + kFrame + 16) + (4 + 4 + 12 + 4 + 1 + 16));
  ASSERT_TRUE((*decryptor)->Update(ByteView(message).first(header_len + 4 + 12 + kFrame + 16), sink).ok());
  EXPECT_EQ(sink.data, Pattern(kFrame));
  EXPECT_EQ((*decryptor)->suite(), kCommitting);
  EXPECT_EQ((*decryptor)->context().size(), 1u);
  ASSERT_TRUE((*decryptor)->Update(ByteView(message).subspan(header_len + 4 + 12 + kFrame + 16), sink).ok());
  ASSERT_TRUE((*decryptor)->Finish(sink).ok());
  EXPECT_EQ(sink.data, Pattern(3 * kFrame + 1));
}

TEST(StreamTest, SignedMessageWithholdsPlaintextUntilTheFooterVerifies) {
  auto keyring = TestAesKeyring();
  auto cmm = NewDefaultCmm(*keyring);
  const Bytes message = StreamEncrypt(*cmm, Pattern(4 * kFrame), 1000, Options(kSigned, kFrame));
  auto decryptor = Decryptor::Create(*cmm, {});
  ASSERT_TRUE(decryptor.ok());
  CollectSink sink;
  ASSERT_TRUE((*decryptor)->Update(ByteView(message).first(message.size() - 1), sink).ok());
  EXPECT_TRUE(sink.data.empty());
  ASSERT_TRUE((*decryptor)->Update(ByteView(message).last(1), sink).ok());
  EXPECT_TRUE(sink.data.empty());
  ASSERT_TRUE((*decryptor)->Finish(sink).ok());
  EXPECT_EQ(sink.data, Pattern(4 * kFrame));
}

TEST(StreamTest, SignedMessageWithBadSignatureReleasesNothingByDefault) {
  auto keyring = TestAesKeyring();
  auto cmm = NewDefaultCmm(*keyring);
  Bytes message = StreamEncrypt(*cmm, Pattern(4 * kFrame), 1000, Options(kSigned, kFrame));
  message[message.size() - 5] ^= 1;
  auto decryptor = Decryptor::Create(*cmm, {});
  ASSERT_TRUE(decryptor.ok());
  CollectSink sink;
  Status status = (*decryptor)->Update(message, sink);
  if (status.ok()) status = (*decryptor)->Finish(sink);
  EXPECT_NE(status.message().find("signature does not verify"), std::string::npos) << status.ToString();
  EXPECT_TRUE(sink.data.empty());
  EXPECT_FALSE((*decryptor)->Finish(sink).ok());
}

TEST(StreamTest, ReleaseOptInHandsOutFramesAndStillChecksTheSignature) {
  auto keyring = TestAesKeyring();
  auto cmm = NewDefaultCmm(*keyring);
  Bytes message = StreamEncrypt(*cmm, Pattern(4 * kFrame), 1000, Options(kSigned, kFrame));
  auto good = StreamDecrypt(*cmm, message, 100, {UnverifiedPlaintext::kRelease});
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, Pattern(4 * kFrame));
  message[message.size() - 5] ^= 1;
  auto decryptor = Decryptor::Create(*cmm, {}, {UnverifiedPlaintext::kRelease});
  ASSERT_TRUE(decryptor.ok());
  CollectSink sink;
  ASSERT_TRUE((*decryptor)->Update(ByteView(message).first(message.size() - 20), sink).ok());
  EXPECT_EQ(sink.data, Pattern(4 * kFrame));  // released before the footer
  Status status = (*decryptor)->Update(ByteView(message).last(20), sink);
  if (status.ok()) status = (*decryptor)->Finish(sink);
  EXPECT_NE(status.message().find("signature does not verify"), std::string::npos);
}

TEST(StreamTest, UnsignedOnlyStreamRejectsSignedSuites) {
  auto keyring = TestAesKeyring();
  auto cmm = NewDefaultCmm(*keyring);
  const Bytes signed_message = StreamEncrypt(*cmm, Pattern(10), 1000, Options(kSigned, kFrame));
  auto rejected = StreamDecrypt(*cmm, signed_message, 1000, {UnverifiedPlaintext::kRejectSigned});
  EXPECT_NE(rejected.status().message().find("unsigned-only"), std::string::npos);
  const Bytes unsigned_message = StreamEncrypt(*cmm, Pattern(10), 1000, Options(kCommitting, kFrame));
  EXPECT_TRUE(StreamDecrypt(*cmm, unsigned_message, 3, {UnverifiedPlaintext::kRejectSigned}).ok());
}

TEST(StreamTest, TruncationAtEveryPointFailsInFinish) {
  auto keyring = TestAesKeyring();
  auto cmm = NewDefaultCmm(*keyring);
  for (SuiteId suite : {kCommitting, kSigned}) {
    const Bytes message = StreamEncrypt(*cmm, Pattern(2 * kFrame + 3), 1000, Options(suite, kFrame));
    for (std::size_t len = 0; len < message.size(); ++len) {
      EXPECT_FALSE(StreamDecrypt(*cmm, ByteView(message).first(len), 7).ok()) << len;
    }
    Bytes longer = message;
    longer.push_back(0);
    EXPECT_NE(StreamDecrypt(*cmm, longer, 7).status().message().find("bytes after the end"),
              std::string::npos);
  }
}

TEST(StreamTest, PlaintextLengthMustMatchTheStream) {
  auto keyring = TestAesKeyring();
  auto cmm = NewDefaultCmm(*keyring);
  EncryptOptions options = Options(kCommitting, kFrame);
  options.plaintext_length = 10;
  auto encryptor = Encryptor::Create(*cmm, {}, options);
  ASSERT_TRUE(encryptor.ok());
  CollectSink sink;
  EXPECT_NE((*encryptor)->Update(Pattern(11), sink).message().find("longer than plaintext_length"),
            std::string::npos);
  auto shorter = Encryptor::Create(*cmm, {}, options);
  ASSERT_TRUE(shorter.ok());
  ASSERT_TRUE((*shorter)->Update(Pattern(9), sink).ok());
  EXPECT_NE((*shorter)->Finish(sink).message().find("shorter than plaintext_length"), std::string::npos);
}

TEST(StreamTest, SinkErrorsStopTheStream) {
  auto keyring = TestAesKeyring();
  auto cmm = NewDefaultCmm(*keyring);
  auto encryptor = Encryptor::Create(*cmm, {}, Options(kCommitting, kFrame));
  ASSERT_TRUE(encryptor.ok());
  FailingSink failing;
  EXPECT_EQ((*encryptor)->Update(Pattern(1), failing).message(), "disk full");
  const Bytes message = StreamEncrypt(*cmm, Pattern(2 * kFrame), 1000, Options(kCommitting, kFrame));
  auto decryptor = Decryptor::Create(*cmm, {});
  ASSERT_TRUE(decryptor.ok());
  EXPECT_EQ((*decryptor)->Update(message, failing).message(), "disk full");
  CollectSink sink;
  EXPECT_FALSE((*decryptor)->Update({}, sink).ok());
}

}  // namespace
}  // namespace coffer::envelope
