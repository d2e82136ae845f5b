// Every check that rejects a message, fed exactly the input it rejects.
#include <string>

#include "common/encoding.h"
#include "envelope/body.h"
#include "envelope/test_util.h"
#include "envelope/wire.h"

namespace coffer::envelope {
namespace {

using testing::TestAesKeyring;

const Bytes kDataKey(32, 0x11);

// Hands out kDataKey for every message.
class StaticKeyring final : public Keyring {
 public:
  Status OnEncrypt(EncryptionMaterials& materials) override {
    materials.plaintext_data_key = SecretBytes(kDataKey);
    materials.encrypted_data_keys.push_back({"static", ToBytes("k"), Bytes(1, 0)});
    return Status::Ok();
  }
  Status OnDecrypt(DecryptionMaterials& materials, const std::vector<EncryptedDataKey>&) override {
    materials.plaintext_data_key = SecretBytes(kDataKey);
    return Status::Ok();
  }
};

DecryptOptions AllowAll() {
  DecryptOptions options;
  options.commitment_policy = CommitmentPolicy::kRequireEncryptAllowDecrypt;
  return options;
}

// A message whose header (with a valid tag) the test chooses freely.
Bytes CraftMessage(SuiteId suite_id, const EncryptionContext& context, ByteView plaintext) {
  const SuiteInfo& suite = GetSuite(suite_id);
  MessageHeader header;
  header.suite = &suite;
  header.message_id.assign(MessageIdLen(suite), 7);
  header.context = context;
  header.encrypted_data_keys = {{"static", ToBytes("k"), Bytes(1, 0)}};
  header.frame_length = 16;
  auto key = DeriveContentKey(suite, kDataKey, header.message_id);
  auto commit = DeriveCommitKey(kDataKey, header.message_id);
  if (suite.committing) header.commitment.assign(commit->view().begin(), commit->view().end());
  header.body = SerializeHeaderBody(header).value();
  header.auth_iv.assign(kIvLen, 0);
  header.auth_tag = ComputeHeaderTag(header, key->view(), {}).value();
  Bytes out = header.body;
  AppendBytes(out, SerializeHeaderAuth(header));
  EXPECT_TRUE(EncryptBody(header, key->view(), plaintext, out).ok());
  return out;
}

void ExpectRejected(ByteView message, Keyring& keyring, const std::string& why,
                    const DecryptOptions& options = AllowAll()) {
  auto result = Decrypt(message, keyring, options);
  ASSERT_FALSE(result.ok()) << why;
  EXPECT_NE(result.status().message().find(why), std::string::npos) << result.status().ToString();
}

struct Layout {
  Bytes message;
  std::size_t body_len = 0;    // header body
  std::size_t header_len = 0;  // header body + authentication
};

Layout Make(SuiteId suite, std::uint32_t frame_length, std::size_t plaintext_len) {
  Layout layout;
  layout.message = CraftMessage(suite, {{"a", "b"}}, Bytes(plaintext_len, 9));
  if (frame_length == 0) {
    // Re-craft non-framed: the header fixes the content type.
    const SuiteInfo& info = GetSuite(suite);
    MessageHeader header;
    header.suite = &info;
    header.message_id.assign(MessageIdLen(info), 7);
    header.context = {{"a", "b"}};
    header.encrypted_data_keys = {{"static", ToBytes("k"), Bytes(1, 0)}};
    header.content_type = ContentType::kNonFramed;
    auto key = DeriveContentKey(info, kDataKey, header.message_id);
    auto commit = DeriveCommitKey(kDataKey, header.message_id);
    if (info.committing) header.commitment.assign(commit->view().begin(), commit->view().end());
    header.body = SerializeHeaderBody(header).value();
    header.auth_iv.assign(kIvLen, 0);
    header.auth_tag = ComputeHeaderTag(header, key->view(), {}).value();
    layout.message = header.body;
    AppendBytes(layout.message, SerializeHeaderAuth(header));
    EXPECT_TRUE(EncryptBody(header, key->view(), Bytes(plaintext_len, 9), layout.message).ok());
  }
  Cursor cursor(layout.message);
  auto header = ParseHeader(cursor, 0);
  EXPECT_TRUE(header.ok());
  layout.body_len = header->body.size();
  layout.header_len = cursor.consumed();
  return layout;
}

constexpr SuiteId kV1 = SuiteId::kAes256GcmIv12Tag16HkdfSha256;
constexpr SuiteId kV2 = SuiteId::kAes256GcmHkdfSha512CommitKey;

TEST(HeaderRejectTest, VersionTypeAndSuite) {
  StaticKeyring keyring;
  Layout l = Make(kV1, 16, 5);
  ASSERT_TRUE(Decrypt(l.message, keyring, AllowAll()).ok());
  Bytes m = l.message;
  m[0] = 3;
  ExpectRejected(m, keyring, "unsupported version");
  m = l.message;
  m[1] = 0x81;
  ExpectRejected(m, keyring, "unsupported type");
  m = l.message;
  m[2] = 0x09;
  ExpectRejected(m, keyring, "unknown algorithm suite");
  m = l.message;
  m[2] = 0x04;
  ExpectRejected(m, keyring, "does not match the version");
  ExpectRejected(l.message, keyring, "commitment policy", DecryptOptions{});
}

TEST(HeaderRejectTest, V1ContentFields) {
  StaticKeyring keyring;
  Layout l = Make(kV1, 16, 5);
  const std::size_t type_at = l.body_len - 10;
  Bytes m = l.message;
  m[type_at] = 3;
  ExpectRejected(m, keyring, "unknown content type");
  m = l.message;
  m[type_at] = 1;
  ExpectRejected(m, keyring, "non-framed content with a frame length");
  m = l.message;
  m[type_at + 2] = 1;
  ExpectRejected(m, keyring, "reserved field is not zero");
  m = l.message;
  m[l.body_len - 5] = 16;
  ExpectRejected(m, keyring, "IV length does not match");
  m = l.message;
  std::fill(m.begin() + static_cast<std::ptrdiff_t>(l.body_len - 4),
            m.begin() + static_cast<std::ptrdiff_t>(l.body_len), 0);
  ExpectRejected(m, keyring, "framed content with frame length 0");
  m = l.message;
  m[l.header_len - 1] ^= 1;
  ExpectRejected(m, keyring, "header authentication failed");
}

TEST(HeaderRejectTest, V2CommitmentAndHeaderTag) {
  StaticKeyring keyring;
  Layout l = Make(kV2, 16, 5);
  ASSERT_TRUE(Decrypt(l.message, keyring).ok());
  Bytes m = l.message;
  m[l.body_len - 1] ^= 1;
  ExpectRejected(m, keyring, "key commitment does not match");
  m = l.message;
  m[l.header_len - 1] ^= 1;
  ExpectRejected(m, keyring, "header authentication failed");
}

// Header bytes from fields, for the checks a real header cannot reach.
Bytes V1HeaderPrefix(ByteView aad, std::uint16_t edk_count) {
  Bytes out = {1, 0x80, 0x01, 0x78};
  out.resize(out.size() + 16, 0);
  AppendU16(out, static_cast<std::uint16_t>(aad.size()));
  AppendBytes(out, aad);
  AppendU16(out, edk_count);
  return out;
}

TEST(HeaderRejectTest, EncryptionContextAndEdkCount) {
  StaticKeyring keyring;
  ExpectRejected(V1HeaderPrefix({}, 0), keyring, "zero encrypted data keys");
  ExpectRejected(V1HeaderPrefix(Bytes{0, 0}, 1), keyring, "encryption context with zero entries");
  const Bytes duplicate = {0, 2, 0, 1, 'a', 0, 1, 'b', 0, 1, 'a', 0, 1, 'c'};
  ExpectRejected(V1HeaderPrefix(duplicate, 1), keyring, "duplicate encryption context key");
  const Bytes trailing = {0, 1, 0, 1, 'a', 0, 1, 'b', 0};
  ExpectRejected(V1HeaderPrefix(trailing, 1), keyring, "bytes after the encryption context");
  const Bytes short_value = {0, 1, 0, 1, 'a', 0, 2, 'b'};
  ExpectRejected(V1HeaderPrefix(short_value, 1), keyring, "encryption context value");
  DecryptOptions limit = AllowAll();
  limit.max_encrypted_data_keys = 1;
  auto result = Decrypt(V1HeaderPrefix({}, 2), keyring, limit);
  EXPECT_EQ(result.status().code(), ErrorCode::kLimitExceeded);
}

TEST(BodyRejectTest, FrameSequenceLengthsAndTrailingBytes) {
  StaticKeyring keyring;
  Layout l = Make(kV1, 16, 20);  // one regular frame, then a final frame of 4
  Bytes m = l.message;
  m[l.header_len + 3] = 2;
  ExpectRejected(m, keyring, "frame out of sequence");
  const std::size_t final_at = l.header_len + 4 + 12 + 16 + 16;
  m = l.message;
  m[final_at + 7] = 3;
  ExpectRejected(m, keyring, "frame out of sequence");
  m = l.message;
  m[final_at + 8 + 12 + 3] = 17;
  ExpectRejected(m, keyring, "final frame longer than the frame length");
  m = l.message;
  m[final_at + 8 + 12 + 3] = 3;
  ExpectRejected(m, keyring, "failed authentication");
  ExpectRejected(ByteView(l.message).first(l.message.size() - 1), keyring, "frame tag");
  m = l.message;
  m.back() ^= 1;
  EXPECT_EQ(Decrypt(m, keyring, AllowAll()).status().code(), ErrorCode::kInvalidCiphertext);
  m = l.message;
  m.push_back(0);
  ExpectRejected(m, keyring, "bytes after the end of the message");
}

TEST(BodyRejectTest, NonFramedLength) {
  StaticKeyring keyring;
  Layout l = Make(kV2, 0, 5);
  ASSERT_TRUE(Decrypt(l.message, keyring).ok());
  Bytes m = l.message;
  m[l.header_len + 12 + 3] = 0x10;  // 2^36
  ExpectRejected(m, keyring, "non-framed content longer than 2^36 - 32 bytes");
  m = l.message;
  m[l.header_len + 12 + 7] = 6;
  ExpectRejected(m, keyring, "body tag");
}

TEST(SignatureRejectTest, PublicKeyPresenceAndEncoding) {
  StaticKeyring keyring;
  const std::string key(kPublicKeyContextKey);
  ExpectRejected(CraftMessage(kV2, {{key, "AAAA"}}, {}), keyring, "unsigned suite with a public key");
  constexpr SuiteId kSigned = SuiteId::kAes256GcmHkdfSha512CommitKeyEcdsaP384;
  ExpectRejected(CraftMessage(kSigned, {}, {}), keyring, "signed suite without a public key");
  ExpectRejected(CraftMessage(kSigned, {{key, "!!"}}, {}), keyring, "public key is not base64");
  Bytes off_curve(49, 0xff);
  off_curve[0] = 2;
  ExpectRejected(CraftMessage(kSigned, {{key, Base64Encode(off_curve)}}, {}), keyring, "not a valid point");
}

TEST(SignatureRejectTest, FooterMissingOrWrong) {
  auto keyring = TestAesKeyring();
  auto message = Encrypt(Bytes(10, 1), *keyring, {});
  ASSERT_TRUE(message.ok());
  ExpectRejected(ByteView(*message).first(message->size() - 105), *keyring, "footer signature", {});
  Bytes m = *message;
  m[m.size() - 10] ^= 1;
  ExpectRejected(m, *keyring, "message signature does not verify", {});
}

TEST(ContextRejectTest, ReproducedAndRequiredContext) {
  auto keyring = TestAesKeyring();
  auto message = Encrypt(Bytes(10, 1), *keyring, {{"a", "b"}});
  ASSERT_TRUE(message.ok());
  DecryptOptions options;
  options.reproduced_context = {{"a", "x"}};
  ExpectRejected(*message, *keyring, "does not match the reproduced context", options);
  options.reproduced_context = {{"a", "b"}};
  options.required_context_keys = {"c"};
  ExpectRejected(*message, *keyring, "required encryption context key missing", options);
  options.required_context_keys = {"a"};
  EXPECT_TRUE(Decrypt(*message, *keyring, options).ok());
  // A pair the message never had joins the context the keyring
  // authenticates (and the header AAD), so unwrapping fails.
  options.reproduced_context = {{"a", "b"}, {"c", "d"}};
  options.required_context_keys = {};
  ExpectRejected(*message, *keyring, "no encrypted data key could be decrypted", options);
  StaticKeyring static_keyring;
  const Bytes crafted = CraftMessage(kV2, {{"a", "b"}}, {});
  DecryptOptions extra;
  extra.reproduced_context = {{"c", "d"}};
  ExpectRejected(crafted, static_keyring, "header authentication failed", extra);
}

TEST(EncryptRejectTest, OptionsKeysAndContext) {
  auto keyring = TestAesKeyring();
  EncryptOptions v1;
  v1.suite = kV1;
  EXPECT_NE(Encrypt({}, *keyring, {}, v1).status().message().find("commitment policy"), std::string::npos);
  EncryptOptions forbid;
  forbid.suite = kV2;
  forbid.commitment_policy = CommitmentPolicy::kForbidEncryptAllowDecrypt;
  EXPECT_NE(Encrypt({}, *keyring, {}, forbid).status().message().find("commitment policy"),
            std::string::npos);
  EncryptOptions unknown;
  unknown.suite = static_cast<SuiteId>(0x0999);
  EXPECT_NE(Encrypt({}, *keyring, {}, unknown).status().message().find("unknown algorithm suite"),
            std::string::npos);
  EXPECT_NE(Encrypt({}, *keyring, {{"aws-crypto-x", "y"}}).status().message().find("reserved"),
            std::string::npos);
  EXPECT_FALSE(NewRawAesKeyring("ns", "name", SecretBytes(Bytes(20, 0))).ok());
  EXPECT_FALSE(NewRawAesKeyring("aws-kms", "name", SecretBytes(Bytes(32, 0))).ok());
  EXPECT_FALSE(NewRawRsaKeyring("ns", "name", "not pem", RsaPaddingScheme::kPkcs1).ok());
  EXPECT_FALSE(NewMultiKeyring(nullptr, {}).ok());
  EXPECT_FALSE(NewMultiKeyring(nullptr, {nullptr}).ok());
}

TEST(CursorTest, WideReadsAndU16PrefixCheckLengths) {
  const Bytes data = {0, 0, 0, 5, 1, 2, 3, 4, 5, 6, 7};
  Cursor c(data);
  std::uint32_t u32 = 0;
  std::uint64_t u64 = 0;
  EXPECT_TRUE(c.ReadU32(&u32));
  EXPECT_EQ(u32, 5u);
  EXPECT_FALSE(c.ReadU64(&u64));
  EXPECT_EQ(c.remaining(), 7u);
  ByteView out;
  const Bytes prefixed = {0, 3, 'a', 'b'};
  Cursor p(prefixed);
  EXPECT_FALSE(p.ReadU16LengthPrefixed(&out));
  EXPECT_EQ(p.remaining(), 4u);
  const Bytes exact = {0, 2, 'a', 'b'};
  Cursor e(exact);
  EXPECT_TRUE(e.ReadU16LengthPrefixed(&out));
  EXPECT_EQ(out.size(), 2u);
}

}  // namespace
}  // namespace coffer::envelope
