// Shared fixture for the KMS operation tests: a KmsService over an in-memory
// store, a fixed root key, the OS random source and a clock that only moves
// when a test moves it. Requests are the JSON bodies the AWS JSON 1.1
// protocol carries (already validated against the model by src/api).
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/encoding.h"
#include "common/secret_bytes.h"
#include "crypto/crypto.h"
#include "kms/key_store.h"
#include "kms/service.h"
#include "rootkey/root_key.h"
#include "store/store.h"

namespace coffer {

// Failure output names the AWS error instead of printing a raw enum byte.
inline void PrintTo(ErrorCode code, std::ostream* os) { *os << ErrorName(code); }

namespace kms::testing {

inline constexpr std::string_view kAccount = "111122223333";
inline constexpr std::string_view kOtherAccount = "444455556666";
inline constexpr std::string_view kRegion = "us-east-1";
inline constexpr std::string_view kOtherRegion = "eu-west-1";
inline constexpr std::int64_t kStartMs = 1'704'067'200'000;  // 2024-01-01T00:00:00Z
inline constexpr std::int64_t kDayMs = 24LL * 3600 * 1000;

template <typename T>
ErrorCode CodeOf(const StatusOr<T>& result) {
  return result.ok() ? ErrorCode::kOk : result.status().code();
}

inline RequestContext ContextFor(std::string_view account, std::string_view region) {
  return RequestContext{std::string(account), std::string(region),
                        "arn:aws:iam::" + std::string(account) + ":user/alice", ""};
}

inline bool IsLowerHex(std::string_view text, std::size_t len) {
  if (text.size() != len) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

inline std::string B64(std::string_view text) { return Base64Encode(AsBytes(text)); }

inline std::string UnB64(const Json& value) {
  auto decoded = Base64Decode(value.get<std::string>());
  EXPECT_TRUE(decoded.has_value()) << "not base64: " << value;
  return decoded ? std::string(AsChars(*decoded)) : std::string();
}

// A base64 blob member as bytes.
inline Bytes BlobOf(const Json& value) { return ToBytes(UnB64(value)); }

// The root key every test uses: 32 fixed bytes 0x00..0x1f.
inline SecretBytes FixedRootKeyBytes() {
  Bytes raw(32);
  for (std::size_t i = 0; i < raw.size(); ++i) raw[i] = static_cast<std::uint8_t>(i);
  return SecretBytes(raw);
}

class KmsTest : public ::testing::Test {
 protected:
  // Runs an operation through the service's dispatch table, as the router does.
  StatusOr<Json> CallAs(RequestContext ctx, std::string_view op, const Json& request) {
    ctx.action = "kms:" + std::string(op);
    ctx.request = &request;  // condition keys come from the body, as the router passes it
    for (const Operation& candidate : Operations()) {
      if (candidate.name != op) continue;
      if (candidate.fn != nullptr) return candidate.fn(kms_, ctx, request);
      StatusOr<std::string> text = candidate.view_fn(kms_, ctx, request);
      if (!text.ok()) return text.status();
      return Json::parse(*text);
    }
    ADD_FAILURE() << "no operation named " << op;
    return InternalError("no such operation");
  }
  StatusOr<Json> Call(std::string_view op, const Json& request) { return CallAs(ctx_, op, request); }

  // For steps whose success is a precondition of the test.
  Json MustCall(std::string_view op, const Json& request) {
    auto result = Call(op, request);
    EXPECT_TRUE(result.ok()) << op << " failed: " << result.status().ToString();
    return result.ok() ? *result : Json::object();
  }

  std::string CreateKeyId(const Json& request = Json::object()) {
    return MustCall("CreateKey", request)["KeyMetadata"]["KeyId"].get<std::string>();
  }
  Json Describe(std::string_view key_id) {
    return MustCall("DescribeKey", {{"KeyId", key_id}})["KeyMetadata"];
  }
  // Base64 CiphertextBlob of `plaintext` under `key_id`.
  std::string EncryptText(std::string_view key_id, std::string_view plaintext,
                          const Json& context = Json::object()) {
    Json request = {{"KeyId", key_id}, {"Plaintext", B64(plaintext)}};
    if (!context.empty()) request["EncryptionContext"] = context;
    return MustCall("Encrypt", request)["CiphertextBlob"].get<std::string>();
  }
  StatusOr<Json> DecryptBlob(std::string_view blob, const Json& context = Json::object(),
                             std::string_view key_id = "") {
    Json request = {{"CiphertextBlob", blob}};
    if (!context.empty()) request["EncryptionContext"] = context;
    if (!key_id.empty()) request["KeyId"] = key_id;
    return Call("Decrypt", request);
  }
  void AdvanceMs(std::int64_t ms) { clock_.Advance(std::chrono::milliseconds(ms)); }
  int Sweep() {
    auto changed = kms_.RunSweeper();
    EXPECT_TRUE(changed.ok()) << changed.status().ToString();
    return changed.ok() ? *changed : -1;
  }
  std::string ArnOf(std::string_view key_id) const { return KeyArn(kRegion, kAccount, key_id); }

  FakeClock clock_{FromEpochMillis(kStartMs)};
  crypto::OsRandom random_;
  std::unique_ptr<store::Store> store_ = store::NewMemoryStore();
  rootkey::SoftwareRootKey root_key_{FixedRootKeyBytes(), random_};
  KeyStore keys_{*store_, root_key_, random_};
  KmsService kms_{keys_, random_, clock_};
  RequestContext ctx_ = ContextFor(kAccount, kRegion);
};

}  // namespace kms::testing
}  // namespace coffer
