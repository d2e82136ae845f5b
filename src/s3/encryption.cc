#include "s3/encryption.h"

#include <nlohmann/json.hpp>

#include "auth/canonical.h"
#include "common/encoding.h"
#include "common/json_parse.h"
#include "crypto/checksum.h"
#include "crypto/crypto.h"
#include "s3/errors.h"

namespace coffer::s3 {
namespace {

using nlohmann::json;

constexpr std::string_view kObjectKeyInfo = "coffer:s3:bucket-key-object:v1";
constexpr std::size_t kKeyLen = 32;
constexpr std::size_t kSaltLen = 32;

std::string Header(const S3Request& req, std::string_view prefix, std::string_view name) {
  return std::string(req.Header(std::string(prefix) + std::string(name)));
}

Status NeedsKmsHeader() {
  return InvalidArgument(
      "Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : "
      "aws:kms");
}

bool IsKmsMode(std::string_view mode) { return mode == kSseKms || mode == kSseDsse; }

StatusOr<std::map<std::string, std::string>> ParseContextHeader(std::string_view value) {
  const Status bad = InvalidArgument(
      "The header 'x-amz-server-side-encryption-context' shall be Base64-encoded UTF-8 string holding JSON "
      "which represents a string-string map");
  std::optional<Bytes> raw = Base64Decode(value);
  if (!raw) return bad;
  std::optional<json> parsed = ParseJson(AsChars(*raw));
  if (!parsed || !parsed->is_object()) return bad;
  std::map<std::string, std::string> context;
  for (const auto& [k, v] : parsed->items()) {
    if (!v.is_string()) return bad;
    context[k] = v.get<std::string>();
  }
  return context;
}

StatusOr<std::optional<bool>> BucketKeyHeader(const S3Request& req) {
  constexpr std::string_view kName = "x-amz-server-side-encryption-bucket-key-enabled";
  if (!req.HasHeader(kName)) return std::optional<bool>();
  const std::string_view value = req.Header(kName);
  if (auth::internal::EqualsIgnoreCase(value, "true")) return std::optional<bool>(true);
  if (auth::internal::EqualsIgnoreCase(value, "false")) return std::optional<bool>(false);
  return InvalidArgument(
      "Invalid value for header x-amz-server-side-encryption-bucket-key-enabled: true or false");
}

std::string Base64Of(ByteView bytes) { return Base64Encode(bytes); }

json ContextJson(const kms::EncryptionContext& context) {
  json out = json::object();
  for (const auto& [k, v] : context) out[k] = v;
  return out;
}

std::string CustomerKeyHmac(ByteView salt, const SecretBytes& key) {
  const crypto::Sha256Digest mac = crypto::HmacSha256(salt, key.view());
  return Base64Of(ByteView(mac.data(), mac.size()));
}

}  // namespace

StatusOr<std::optional<CustomerKey>> CustomerKeyOf(const S3Request& req, std::string_view prefix) {
  const std::string algorithm = Header(req, prefix, "algorithm");
  const std::string key = Header(req, prefix, "key");
  const std::string md5 = Header(req, prefix, "key-MD5");
  if (algorithm.empty() && key.empty() && md5.empty()) return std::optional<CustomerKey>();
  if (!req.who.secure_transport) {
    return InvalidRequest(
        "Requests specifying Server Side Encryption with Customer provided keys must be made over a secure "
        "connection.");
  }
  if (algorithm.empty()) {
    return InvalidArgument(
        "Requests specifying Server Side Encryption with Customer provided keys must provide a valid "
        "encryption algorithm.");
  }
  if (algorithm != "AES256") {
    return S3Error("InvalidEncryptionAlgorithmError",
                   "The encryption request you specified is not valid. The valid value is AES256.");
  }
  if (key.empty()) {
    return InvalidArgument(
        "Requests specifying Server Side Encryption with Customer provided keys must provide an appropriate "
        "secret key.");
  }
  std::optional<Bytes> raw = Base64Decode(key);
  if (!raw || raw->size() != kKeyLen) {
    if (raw) SecureWipe(raw->data(), raw->size());
    return InvalidArgument("The secret key was invalid for the specified algorithm.");
  }
  CustomerKey out{SecretBytes(*raw), md5};
  SecureWipe(raw->data(), raw->size());
  if (md5.empty()) {
    return InvalidArgument(
        "Requests specifying Server Side Encryption with Customer provided keys must provide the client "
        "calculated MD5 of the secret key.");
  }
  crypto::Md5 digest;
  digest.Update(AsChars(out.key.view()));
  if (digest.FinishBase64() != md5) {
    return InvalidArgument("The calculated MD5 hash of the key did not match the hash that was provided.");
  }
  return std::optional<CustomerKey>(std::move(out));
}

bool HasSseHeaders(const S3Request& req) {
  for (const auto& [name, value] : req.headers) {
    std::string lower = name;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower.starts_with("x-amz-server-side-encryption")) return true;
  }
  return false;
}

StatusOr<SseChoice> SseChoiceOf(const S3Request& req, const BucketRecord& bucket) {
  SseChoice choice;
  const std::string_view sse = req.Header("x-amz-server-side-encryption");
  const bool has_key_id = req.HasHeader("x-amz-server-side-encryption-aws-kms-key-id");
  const bool has_context = req.HasHeader("x-amz-server-side-encryption-context");
  ASSIGN_OR_RETURN(choice.customer, CustomerKeyOf(req, kCustomerKeyHeaders));
  if (choice.customer) {
    if (!sse.empty() || has_key_id || has_context) {
      return InvalidArgument(
          "Server Side Encryption with Customer provided key is incompatible with the encryption method "
          "specified");
    }
    choice.mode = std::string(kSseC);
    return choice;
  }
  if (!sse.empty() && sse != "AES256" && !IsKmsMode(sse)) {
    return InvalidArgument("The encryption method specified is not supported");
  }
  if ((has_key_id || has_context) && !IsKmsMode(sse)) return NeedsKmsHeader();
  ASSIGN_OR_RETURN(std::optional<bool> bucket_key, BucketKeyHeader(req));
  const BucketEncryption fallback;
  const BucketEncryption& defaults = bucket.encryption ? *bucket.encryption : fallback;
  if (sse.empty()) {
    choice.mode = defaults.algorithm;
    choice.kms_key_id = defaults.kms_key_id;
  } else {
    choice.mode = std::string(sse);
    choice.kms_key_id = std::string(req.Header("x-amz-server-side-encryption-aws-kms-key-id"));
    if (has_key_id && choice.kms_key_id.empty()) {
      return InvalidArgument("x-amz-server-side-encryption-aws-kms-key-id must not be empty");
    }
  }
  // A request without the header takes the bucket's Bucket Key setting (AWS);
  // DSSE-KMS never uses one.
  choice.bucket_key = choice.mode == kSseKms && bucket_key.value_or(defaults.bucket_key_enabled);
  if (has_context) {
    ASSIGN_OR_RETURN(choice.context, ParseContextHeader(req.Header("x-amz-server-side-encryption-context")));
    choice.context_given = true;
  }
  return choice;
}

StatusOr<Sealing> ObjectSealer::Seal(const S3Request& req, const SseChoice& choice,
                                     std::string_view bucket_arn, std::string_view object_arn) {
  Sealing out;
  if (choice.mode == "AES256") return out;
  SseState state;
  if (choice.mode == kSseC) {
    RETURN_IF_ERROR(SealCustomer(*choice.customer, state, out.keys));
  } else {
    ASSIGN_OR_RETURN(state, SealKms(req, choice, bucket_arn, object_arn, out.keys));
  }
  out.state = std::move(state);
  return out;
}

Status ObjectSealer::SealCustomer(const CustomerKey& key, SseState& state, ObjectKeys& out_keys) {
  Bytes salt(kSaltLen);
  RETURN_IF_ERROR(random_.Fill(salt));
  state.mode = std::string(kSseC);
  state.salt = Base64Of(salt);
  state.customer_key_md5 = key.md5;
  state.customer_key_hmac = CustomerKeyHmac(salt, key.key);
  out_keys.object_key = key.key.Clone();
  return Status::Ok();
}

StatusOr<SseState> ObjectSealer::SealKms(const S3Request& req, const SseChoice& choice,
                                         std::string_view bucket_arn, std::string_view object_arn,
                                         ObjectKeys& out_keys) {
  SseState state;
  state.mode = choice.mode;
  state.context = choice.context;
  state.context["aws:s3:arn"] = std::string(choice.bucket_key ? bucket_arn : object_arn);
  state.context_given = choice.context_given;
  if (choice.bucket_key) {
    ASSIGN_OR_RETURN(CachedKey bucket_key, BucketKey(req, choice, state.context));
    Bytes salt(kSaltLen);
    RETURN_IF_ERROR(random_.Fill(salt));
    ASSIGN_OR_RETURN(out_keys.object_key,
                     crypto::HkdfSha256(bucket_key.plaintext.view(), salt, AsBytes(kObjectKeyInfo), kKeyLen));
    state.bucket_key = true;
    state.salt = Base64Of(salt);
    state.wrapped_key = bucket_key.wrapped;
    state.kms_key_arn = bucket_key.key_arn;
    return state;
  }
  const std::string key_id = choice.kms_key_id.empty() ? std::string(kAwsManagedS3Key) : choice.kms_key_id;
  ASSIGN_OR_RETURN(kms::ServiceDataKey data_key, GenerateDataKey(req, key_id, state.context));
  state.wrapped_key = Base64Of(data_key.ciphertext_blob);
  state.kms_key_arn = data_key.key_arn;
  (choice.mode == kSseDsse ? out_keys.inner_key : out_keys.object_key) = std::move(data_key.plaintext);
  return state;
}

StatusOr<ObjectSealer::CachedKey> ObjectSealer::BucketKey(const S3Request& req, const SseChoice& choice,
                                                          const kms::EncryptionContext& context) {
  const std::string key_id = choice.kms_key_id.empty() ? std::string(kAwsManagedS3Key) : choice.kms_key_id;
  // Per caller: a bucket key is handed out only to callers KMS authorized.
  std::string cache_key = "g\n" + req.who.caller.arn + "\n" + key_id;
  for (const auto& [k, v] : context) cache_key += "\n" + k + "=" + v;
  if (std::optional<CachedKey> hit = Cached(cache_key)) return std::move(*hit);
  ASSIGN_OR_RETURN(kms::ServiceDataKey data_key, GenerateDataKey(req, key_id, context));
  CachedKey entry{std::move(data_key.plaintext), Base64Of(data_key.ciphertext_blob), data_key.key_arn,
                  clock_.Now()};
  Remember(cache_key, entry);
  return entry;
}

Status ObjectSealer::CheckPresentedKey(const std::optional<SseState>& state,
                                       const std::optional<CustomerKey>& presented) {
  const bool customer = state && state->mode == kSseC;
  if (presented && !customer)
    return InvalidRequest("The encryption parameters are not applicable to this object.");
  if (!customer) return Status::Ok();
  if (!presented) {
    return InvalidRequest(
        "The object was stored using a form of Server Side Encryption. The correct parameters must be "
        "provided to retrieve the object.");
  }
  std::optional<Bytes> salt = Base64Decode(state->salt);
  std::optional<Bytes> stored = Base64Decode(state->customer_key_hmac);
  if (!salt || !stored) return InternalError("corrupt SSE-C record");
  const crypto::Sha256Digest mac = crypto::HmacSha256(*salt, presented->key.view());
  if (!ConstantTimeEquals(ByteView(mac.data(), mac.size()), *stored)) {
    return S3Error("AccessDenied", "Access Denied");
  }
  return Status::Ok();
}

StatusOr<ObjectKeys> ObjectSealer::Unseal(const S3Request& req, const std::optional<SseState>& state,
                                          const std::optional<CustomerKey>& presented) {
  RETURN_IF_ERROR(CheckPresentedKey(state, presented));
  ObjectKeys keys;
  if (!state) return keys;
  if (state->mode == kSseC) {
    keys.object_key = presented->key.Clone();
    return keys;
  }
  ASSIGN_OR_RETURN(SecretBytes key, UnwrapKey(req, *state));
  if (state->bucket_key) {
    std::optional<Bytes> salt = Base64Decode(state->salt);
    if (!salt) return InternalError("corrupt SSE-KMS record");
    ASSIGN_OR_RETURN(keys.object_key,
                     crypto::HkdfSha256(key.view(), *salt, AsBytes(kObjectKeyInfo), kKeyLen));
  } else if (state->mode == kSseDsse) {
    keys.inner_key = std::move(key);
  } else {
    keys.object_key = std::move(key);
  }
  return keys;
}

StatusOr<SecretBytes> ObjectSealer::UnwrapKey(const S3Request& req, const SseState& state) {
  if (!state.bucket_key) return Decrypt(req, state);
  const std::string cache_key = "d\n" + req.who.caller.arn + "\n" + state.wrapped_key;
  if (std::optional<CachedKey> hit = Cached(cache_key)) return std::move(hit->plaintext);
  ASSIGN_OR_RETURN(SecretBytes plaintext, Decrypt(req, state));
  Remember(cache_key, CachedKey{plaintext.Clone(), state.wrapped_key, state.kms_key_arn, clock_.Now()});
  return plaintext;
}

std::optional<ObjectSealer::CachedKey> ObjectSealer::Cached(const std::string& cache_key) {
  std::lock_guard<std::mutex> lock(mu_);
  const auto it = cache_.find(cache_key);
  if (it == cache_.end()) return std::nullopt;
  if (clock_.Now() - it->second.made >= options_.bucket_key_ttl) {
    cache_.erase(it);
    return std::nullopt;
  }
  const CachedKey& e = it->second;
  return CachedKey{e.plaintext.Clone(), e.wrapped, e.key_arn, e.made};
}

void ObjectSealer::Remember(const std::string& cache_key, const CachedKey& entry) {
  std::lock_guard<std::mutex> lock(mu_);
  if (cache_.size() >= options_.max_cached_keys) {
    const TimePoint now = clock_.Now();
    std::erase_if(cache_, [&](const auto& kv) { return now - kv.second.made >= options_.bucket_key_ttl; });
    if (cache_.size() >= options_.max_cached_keys) cache_.clear();
  }
  cache_.insert_or_assign(cache_key,
                          CachedKey{entry.plaintext.Clone(), entry.wrapped, entry.key_arn, entry.made});
}

std::uint64_t ObjectSealer::kms_calls() const {
  std::lock_guard<std::mutex> lock(mu_);
  return kms_calls_;
}

namespace {

kms::ViaService ViaS3(const S3Request& req) {
  return kms::ViaService{"s3", req.account, req.region, req.who.caller.arn, req.who};
}

}  // namespace

StatusOr<kms::ServiceDataKey> ObjectSealer::GenerateDataKey(const S3Request& req, std::string_view key_id,
                                                            const kms::EncryptionContext& context) {
  if (kms_ == nullptr) return InternalError("S3 has no KMS to encrypt with");
  auto data_key = kms_->GenerateDataKey(ViaS3(req), key_id, context);
  const json request = {
      {"KeyId", std::string(key_id)}, {"KeySpec", "AES_256"}, {"EncryptionContext", ContextJson(context)}};
  Observe(req, "GenerateDataKey", request, data_key.ok() ? data_key->key_arn : "", data_key.status());
  if (!data_key.ok()) return S3KmsError(data_key.status());
  return data_key;
}

StatusOr<SecretBytes> ObjectSealer::Decrypt(const S3Request& req, const SseState& state) {
  if (kms_ == nullptr) return InternalError("S3 has no KMS to decrypt with");
  std::optional<Bytes> blob = Base64Decode(state.wrapped_key);
  if (!blob) return InternalError("corrupt SSE-KMS record");
  auto plaintext = kms_->Decrypt(ViaS3(req), *blob, state.context, state.kms_key_arn);
  const json request = {{"KeyId", state.kms_key_arn},
                        {"EncryptionAlgorithm", "SYMMETRIC_DEFAULT"},
                        {"EncryptionContext", ContextJson(state.context)}};
  Observe(req, "Decrypt", request, state.kms_key_arn, plaintext.status());
  if (!plaintext.ok()) return S3KmsError(plaintext.status());
  return plaintext;
}

// The KMS call as CloudTrail shows one a service made for a user: the
// user's identity, invoked by s3.amazonaws.com, from s3.amazonaws.com.
void ObjectSealer::Observe(const S3Request& req, std::string_view operation, const json& request,
                           const std::string& key_arn, const Status& status) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++kms_calls_;
  }
  if (!observer_) return;
  const json response = {{"KeyId", key_arn}};
  server::RequestTrace trace;
  trace.request_id = req.request_id;
  trace.time = clock_.Now();
  trace.source_ip = "s3.amazonaws.com";
  trace.user_agent = "s3.amazonaws.com";
  trace.secure = true;
  trace.service = "kms";
  trace.operation = std::string(operation);
  trace.region = req.region;
  const policy::CallerInfo& who = req.who;
  trace.caller =
      server::Caller{who.caller.account, who.user_name, who.user_id, who.caller.arn, who.access_key_id};
  trace.invoked_by = "s3.amazonaws.com";
  trace.request = &request;
  trace.response = status.ok() && !key_arn.empty() ? &response : nullptr;
  trace.status = status;
  trace.http_status = status.ok() ? 200 : 400;
  observer_(trace);
}

// What S3 calls a KMS failure met on the caller's behalf; everything else
// (a corrupt ciphertext, KMS's own failure) is S3's InternalError.
constexpr std::pair<ErrorCode, std::string_view> kKmsErrors[] = {
    {ErrorCode::kAccessDenied, "AccessDenied"},
    {ErrorCode::kNotFound, "KMS.NotFoundException"},
    {ErrorCode::kDisabled, "KMS.DisabledException"},
    {ErrorCode::kInvalidState, "KMS.KMSInvalidStateException"},
    {ErrorCode::kInvalidKeyUsage, "KMS.InvalidKeyUsageException"},
    {ErrorCode::kInvalidArn, "KMS.InvalidArnException"},
    {ErrorCode::kValidation, "KMS.ValidationException"},
    {ErrorCode::kThrottling, "SlowDown"},
};

Status S3KmsError(const Status& kms_status) {
  for (const auto& [code, name] : kKmsErrors) {
    if (code == kms_status.code()) return S3Error(name, kms_status.message());
  }
  return InternalError("KMS failed on S3's behalf: " + kms_status.message());
}

StatusOr<std::string> EtagHexFor(const std::optional<SseState>& state, const std::string& md5_hex,
                                 RandomSource& random) {
  if (!state || state->mode != kSseC) return md5_hex;
  Bytes raw(16);
  RETURN_IF_ERROR(random.Fill(raw));
  return HexEncode(raw);
}

void AddSseHeaders(const std::optional<SseState>& state, bool with_context, S3Reply& reply) {
  if (!state) {
    reply.headers.emplace_back("x-amz-server-side-encryption", "AES256");
    return;
  }
  if (state->mode == kSseC) {
    reply.headers.emplace_back("x-amz-server-side-encryption-customer-algorithm", "AES256");
    reply.headers.emplace_back("x-amz-server-side-encryption-customer-key-MD5", state->customer_key_md5);
    return;
  }
  reply.headers.emplace_back("x-amz-server-side-encryption", state->mode);
  reply.headers.emplace_back("x-amz-server-side-encryption-aws-kms-key-id", state->kms_key_arn);
  if (state->bucket_key)
    reply.headers.emplace_back("x-amz-server-side-encryption-bucket-key-enabled", "true");
  if (with_context && state->context_given) {
    const std::string text = ContextJson(state->context).dump();
    reply.headers.emplace_back("x-amz-server-side-encryption-context", Base64Encode(AsBytes(text)));
  }
}

}  // namespace coffer::s3
