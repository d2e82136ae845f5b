// The KMS client: JSON 1.1 calls signed with SigV4, retried with exponential
// backoff and full jitter (delay uniform in [0, min(max, base * 2^attempt)]).
#include "coffer/kms_client.h"

#include <nlohmann/json.hpp>
#include <thread>

#include "auth/sigv4.h"
#include "common/encoding.h"
#include "crypto/crypto.h"
#include "envelope/kms/endpoint.h"

namespace coffer::envelope {
namespace {

using nlohmann::json;

class RealSleeper final : public Sleeper {
 public:
  void Sleep(std::chrono::milliseconds duration) override { std::this_thread::sleep_for(duration); }
};

// The ErrorCode whose AWS name is `name` (kInternal when Coffer has none).
ErrorCode CodeForName(std::string_view name) {
  for (int c = static_cast<int>(ErrorCode::kValidation); c <= static_cast<int>(ErrorCode::kDryRunOperation);
       ++c) {
    const auto code = static_cast<ErrorCode>(c);
    if (ErrorName(code) == name) return code;
  }
  return ErrorCode::kInternal;
}

// "com.amazonaws.kms#NotFoundException" and "NotFoundException:..." forms too.
std::string ErrorType(const json& body) {
  std::string type = body.value("__type", "");
  if (const auto hash = type.rfind('#'); hash != std::string::npos) type = type.substr(hash + 1);
  if (const auto colon = type.find(':'); colon != std::string::npos) type = type.substr(0, colon);
  return type;
}

Status KmsError(const HttpResponse& response) {
  const json body = json::parse(response.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    return {response.status >= 500 ? ErrorCode::kInternal : ErrorCode::kValidation,
            "KMS answered HTTP " + std::to_string(response.status) + " without an error body"};
  }
  const std::string type = ErrorType(body);
  std::string message = body.value("message", body.value("Message", ""));
  return {CodeForName(type), "KMS " + type + ": " + message};
}

bool Retryable(const StatusOr<HttpResponse>& response) {
  if (!response.ok()) return response.status().code() == ErrorCode::kUnavailable;
  if (response->status >= 500) return true;
  if (response->status == 200) return false;
  const json body = json::parse(response->body, nullptr, false);
  return !body.is_discarded() && body.is_object() && ErrorType(body) == "ThrottlingException";
}

// Best effort: the JSON text and parsed copies of key material are wiped.
void WipeString(std::string& text) {
  if (!text.empty()) SecureWipe(text.data(), text.size());
}

StatusOr<SecretBytes> TakeSecretB64(json& body, const char* field) {
  if (!body.contains(field) || !body[field].is_string()) {
    return InternalError(std::string("KMS response has no ") + field);
  }
  std::string& text = body[field].get_ref<std::string&>();
  auto decoded = Base64Decode(text);
  WipeString(text);
  if (!decoded) return InternalError(std::string("KMS response ") + field + " is not base64");
  SecretBytes out(*decoded);
  SecureWipe(decoded->data(), decoded->size());
  return out;
}

StatusOr<Bytes> TakeB64(const json& body, const char* field) {
  if (!body.contains(field) || !body[field].is_string()) {
    return InternalError(std::string("KMS response has no ") + field);
  }
  auto decoded = Base64Decode(body[field].get<std::string>());
  if (!decoded) return InternalError(std::string("KMS response ") + field + " is not base64");
  return *decoded;
}

StatusOr<std::string> TakeKeyId(const json& body) {
  if (!body.contains("KeyId") || !body["KeyId"].is_string())
    return InternalError("KMS response has no KeyId");
  return body["KeyId"].get<std::string>();
}

json Request(const std::string& key_id, const EncryptionContext& context) {
  json request = {{"KeyId", key_id}};
  if (!context.empty()) request["EncryptionContext"] = context;
  return request;
}

StatusOr<json> ParseBody(std::string& text) {
  json body = json::parse(text, nullptr, false);
  WipeString(text);
  if (body.is_discarded() || !body.is_object()) return InternalError("KMS response is not a JSON object");
  return body;
}

}  // namespace

std::unique_ptr<Sleeper> NewRealSleeper() { return std::make_unique<RealSleeper>(); }

StatusOr<std::unique_ptr<KmsClient>> KmsClient::Create(const KmsClientOptions& resolved) {
  Deps deps;
  ASSIGN_OR_RETURN(deps.transport, NewBeastTransport(resolved));
  deps.sleeper = NewRealSleeper();
  deps.random = std::make_shared<crypto::OsRandom>();
  static const SystemClock kClock;
  deps.clock = &kClock;
  return Create(resolved, std::move(deps));
}

StatusOr<std::unique_ptr<KmsClient>> KmsClient::Create(const KmsClientOptions& resolved, Deps deps) {
  RETURN_IF_ERROR(ParseEndpoint(resolved.endpoint).status());
  if (resolved.region.empty() || resolved.access_key_id.empty() || resolved.secret_access_key.empty()) {
    return ValidationError("KMS client needs a region and credentials (see ResolveKmsConfig)");
  }
  if (resolved.max_attempts < 1) return ValidationError("KMS client max_attempts must be at least 1");
  if (!deps.transport || !deps.sleeper || !deps.random || deps.clock == nullptr) {
    return ValidationError("KMS client dependencies missing");
  }
  return std::unique_ptr<KmsClient>(new KmsClient(resolved, std::move(deps)));
}

std::chrono::milliseconds KmsClient::Backoff(int attempt) {
  const auto base = options_.base_delay.count();
  const auto cap = std::min<std::int64_t>(options_.max_delay.count(), base << std::min(attempt, 20));
  std::uint64_t r = 0;
  if (!deps_.random->Fill({reinterpret_cast<std::uint8_t*>(&r), sizeof r}).ok())
    return std::chrono::milliseconds(cap);
  return std::chrono::milliseconds(static_cast<std::int64_t>(r % static_cast<std::uint64_t>(cap + 1)));
}

StatusOr<std::string> KmsClient::Call(const std::string& operation, const std::string& body) {
  ASSIGN_OR_RETURN(Endpoint endpoint, ParseEndpoint(options_.endpoint));
  StatusOr<HttpResponse> response = Status(ErrorCode::kInternal, "no attempt");
  for (int attempt = 0; attempt < options_.max_attempts; ++attempt) {
    if (attempt > 0) deps_.sleeper->Sleep(Backoff(attempt - 1));
    auth::HttpRequest request{"POST",
                              "/",
                              {{"Host", endpoint.host_header},
                               {"Content-Type", "application/x-amz-json-1.1"},
                               {"X-Amz-Target", "TrentService." + operation}},
                              body};
    RETURN_IF_ERROR(auth::SignRequest(
        request, {options_.access_key_id, options_.secret_access_key, options_.session_token, options_.region,
                  "kms", deps_.clock->Now(), true}));
    response = deps_.transport->Send({request.method, request.target, request.headers, request.body});
    WipeString(request.body);
    if (!Retryable(response)) break;
  }
  if (!response.ok()) return response.status();
  if (response->status != 200) return KmsError(*response);
  return std::move(response->body);
}

StatusOr<KmsDataKey> KmsClient::GenerateDataKey(const std::string& key_id, std::size_t number_of_bytes,
                                                const EncryptionContext& context) {
  json request = Request(key_id, context);
  request["NumberOfBytes"] = number_of_bytes;
  ASSIGN_OR_RETURN(std::string text, Call("GenerateDataKey", request.dump()));
  ASSIGN_OR_RETURN(json body, ParseBody(text));
  KmsDataKey out;
  ASSIGN_OR_RETURN(out.plaintext, TakeSecretB64(body, "Plaintext"));
  ASSIGN_OR_RETURN(out.ciphertext, TakeB64(body, "CiphertextBlob"));
  ASSIGN_OR_RETURN(out.key_id, TakeKeyId(body));
  return out;
}

StatusOr<KmsDataKey> KmsClient::Encrypt(const std::string& key_id, ByteView plaintext,
                                        const EncryptionContext& context) {
  json request = Request(key_id, context);
  request["Plaintext"] = Base64Encode(plaintext);
  std::string request_text = request.dump();
  WipeString(request["Plaintext"].get_ref<std::string&>());
  auto text = Call("Encrypt", request_text);
  WipeString(request_text);
  if (!text.ok()) return text.status();
  ASSIGN_OR_RETURN(json body, ParseBody(*text));
  KmsDataKey out;
  ASSIGN_OR_RETURN(out.ciphertext, TakeB64(body, "CiphertextBlob"));
  ASSIGN_OR_RETURN(out.key_id, TakeKeyId(body));
  return out;
}

StatusOr<KmsDecrypted> KmsClient::Decrypt(const std::string& key_id, ByteView ciphertext,
                                          const EncryptionContext& context) {
  json request = Request(key_id, context);
  request["CiphertextBlob"] = Base64Encode(ciphertext);
  ASSIGN_OR_RETURN(std::string text, Call("Decrypt", request.dump()));
  ASSIGN_OR_RETURN(json body, ParseBody(text));
  KmsDecrypted out;
  ASSIGN_OR_RETURN(out.plaintext, TakeSecretB64(body, "Plaintext"));
  ASSIGN_OR_RETURN(out.key_id, TakeKeyId(body));
  return out;
}

}  // namespace coffer::envelope
