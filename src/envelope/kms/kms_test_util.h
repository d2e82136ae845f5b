// A scripted transport and a fake KMS for the client and keyring tests.
#pragma once

#include <gtest/gtest.h>

#include <deque>
#include <nlohmann/json.hpp>

#include "auth/sigv4.h"
#include "coffer/kms_client.h"
#include "common/encoding.h"

namespace coffer::envelope::testing {

inline const TimePoint kTestTime = FromEpochMillis(1'700'000'000'000);

// Answers from a script (then the handler, when set) and records every call.
class ScriptedTransport final : public HttpTransport {
 public:
  StatusOr<HttpResponse> Send(const HttpCall& call) override {
    calls.push_back(call);
    if (!script.empty()) {
      auto next = std::move(script.front());
      script.pop_front();
      return next;
    }
    if (handler) return handler(call);
    return Status(ErrorCode::kUnavailable, "script exhausted");
  }
  std::deque<StatusOr<HttpResponse>> script;
  std::function<StatusOr<HttpResponse>(const HttpCall&)> handler;
  std::vector<HttpCall> calls;
};

class RecordingSleeper final : public Sleeper {
 public:
  void Sleep(std::chrono::milliseconds d) override { slept.push_back(d.count()); }
  std::vector<std::int64_t> slept;
};

// Every Fill writes the same 64-bit value (native byte order).
class FixedRandom final : public RandomSource {
 public:
  explicit FixedRandom(std::uint64_t value) : value_(value) {}
  Status Fill(std::span<std::uint8_t> out) override {
    for (std::size_t i = 0; i < out.size(); ++i)
      out[i] = reinterpret_cast<const std::uint8_t*>(&value_)[i % 8];
    return Status::Ok();
  }

 private:
  std::uint64_t value_;
};

inline std::string HeaderValue(const HttpCall& call, const std::string& name) {
  for (const auto& [key, value] : call.headers) {
    if (key == name) return value;
  }
  return "";
}

// A fake KMS over JSON (test only): the "ciphertext" of a key is the key ARN,
// '|', then the plaintext and the serialized context, so Decrypt can check
// both. Aliases resolve through `aliases`.
class FakeKms {
 public:
  std::map<std::string, std::string> aliases;  // alias name -> key ARN
  std::vector<std::string> operations;

  StatusOr<HttpResponse> Handle(const HttpCall& call) {
    const std::string target = HeaderValue(call, "X-Amz-Target");
    const std::string op = target.substr(target.find('.') + 1);
    operations.push_back(op);
    const auto request = nlohmann::json::parse(call.body);
    std::string key = request.value("KeyId", "");
    if (aliases.contains(key)) key = aliases[key];
    const std::string context =
        request.contains("EncryptionContext") ? request["EncryptionContext"].dump() : "{}";
    if (op == "GenerateDataKey") {
      const Bytes plaintext(request["NumberOfBytes"].get<std::size_t>(), 0x5a);
      return Ok({{"KeyId", key},
                 {"Plaintext", Base64Encode(plaintext)},
                 {"CiphertextBlob", Blob(key, plaintext, context)}});
    }
    if (op == "Encrypt") {
      const Bytes plaintext = *Base64Decode(request["Plaintext"].get<std::string>());
      return Ok({{"KeyId", key}, {"CiphertextBlob", Blob(key, plaintext, context)}});
    }
    const std::string blob = AsString(*Base64Decode(request["CiphertextBlob"].get<std::string>()));
    const auto bar = blob.find('|');
    const std::string suffix = "|" + context;
    if (blob.substr(0, bar) != key || !blob.ends_with(suffix)) return Error("IncorrectKeyException");
    const std::string plaintext = blob.substr(bar + 1, blob.size() - bar - 1 - suffix.size());
    return Ok({{"KeyId", key}, {"Plaintext", Base64Encode(AsBytes(plaintext))}});
  }

  static HttpResponse Ok(const nlohmann::json& body) { return {200, body.dump()}; }
  static HttpResponse Error(const std::string& type) {
    return {400, nlohmann::json{{"__type", type}, {"message", "fake"}}.dump()};
  }

 private:
  static std::string AsString(ByteView bytes) { return std::string(AsChars(bytes)); }
  static std::string Blob(const std::string& key, ByteView plaintext, const std::string& context) {
    return Base64Encode(AsBytes(key + "|" + AsString(plaintext) + "|" + context));
  }
};

inline KmsClientOptions TestClientOptions() {
  KmsClientOptions options;
  options.endpoint = "http://127.0.0.1:9";
  options.region = "us-east-1";
  options.access_key_id = "AKIDEXAMPLE";
  options.secret_access_key = "secret";
  return options;
}

struct TestClient {
  std::shared_ptr<KmsClient> client;
  ScriptedTransport* transport = nullptr;
  RecordingSleeper* sleeper = nullptr;
};

inline TestClient MakeTestClient(KmsClientOptions options = TestClientOptions(),
                                 std::uint64_t random = 1000) {
  static const FakeClock clock(kTestTime);
  auto transport = std::make_unique<ScriptedTransport>();
  auto sleeper = std::make_unique<RecordingSleeper>();
  TestClient out{nullptr, transport.get(), sleeper.get()};
  auto client = KmsClient::Create(
      options, {std::move(transport), std::move(sleeper), std::make_shared<FixedRandom>(random), &clock});
  EXPECT_TRUE(client.ok()) << client.status().ToString();
  if (client.ok()) out.client = std::move(client).value();
  return out;
}

}  // namespace coffer::envelope::testing
