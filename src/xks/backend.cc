#include "xks/backend.h"

#include <spdlog/spdlog.h>

#include "common/cursor.h"
#include "common/encoding.h"

namespace coffer::xks {
namespace {

constexpr std::uint8_t kExternalLayer = 0x58;  // 'X'

// AWS's exception messages (XKS specification, "KMS Considerations" of the
// error codes) for each cause of a failed proxy call.
constexpr std::string_view kMsgInvalidResponse =
    "AWS KMS cannot interpret the response from the external key store proxy. If you see this error "
    "repeatedly, report it to your external key store proxy administrator.";
constexpr std::string_view kMsgKeyDisabled =
    "The external key associated with this KMS key in an external key store is not enabled in the external "
    "key manager. Enable the external key in the external key manager and retry the request.";
constexpr std::string_view kMsgCiphertextRejected =
    "The external key store proxy rejected the request because the specified ciphertext or encryption "
    "context is corrupted, missing, or otherwise invalid.";
constexpr std::string_view kMsgKeyUsage =
    "The external key associated with this KMS key in an external key store does not support the requested "
    "operation. Enable the operation on the key in your external key manager, and try the request again.";
constexpr std::string_view kMsgAuthentication =
    "The external key store proxy rejected the request because it could not authenticate AWS KMS. Verify "
    "the XKS proxy authentication credentials for your external key store and update if necessary.";
constexpr std::string_view kMsgAccessDenied =
    "The external key store proxy denied access to the operation. Verify that the user and the external key "
    "are both authorized for this operation, and try the request again.";
constexpr std::string_view kMsgKeyNotFound =
    "The external key associated with this KMS key in an external key store was not found in its external "
    "key manager. If the external key ID associated with this KMS key is incorrect, create a new KMS key "
    "with "
    "the correct external key ID.";
constexpr std::string_view kMsgUriPath =
    "The external key store proxy rejected the request because of an invalid URI path. Verify the URI path "
    "for your external key store and update if necessary.";
constexpr std::string_view kMsgUnsupported =
    "The external key store proxy rejected the request because it does not support the requested operation. "
    "If you see this error repeatedly, report it to your external key store proxy administrator.";
constexpr std::string_view kMsgDependencyTimeout =
    "The external key store proxy did not respond to the request in the time allotted. Retry the request. If "
    "you see this error repeatedly, report it to your external key store proxy administrator.";
constexpr std::string_view kMsgThrottled =
    "The external key store proxy rejected the request due to a very high request rate. Reduce the frequency "
    "of your calls using KMS keys in this external key store.";
constexpr std::string_view kMsgProxyInternal =
    "The external key store proxy rejected the request because it cannot communicate with the external key "
    "manager. Verify that the external key store proxy configuration is correct and that the external key "
    "manager is available.";
constexpr std::string_view kMsgUnreachable =
    "AWS KMS cannot communicate with the external key store proxy. This might be a transient network issue. "
    "If you see this error repeatedly, verify that your external key store proxy is active and is connected "
    "to the network, and that its endpoint URI is correct in your external keystore.";
constexpr std::string_view kMsgTimedOut =
    "AWS KMS rejected the request because the external key store proxy did not respond in time. Retry the "
    "request. If you see this error repeatedly, report it to your external key store proxy administrator.";

std::string_view MessageFor(const CallFailure& failure) {
  switch (failure.kind) {
    case Failure::kNotReachable:
      return kMsgUnreachable;
    case Failure::kTimedOut:
      return kMsgTimedOut;
    case Failure::kInvalidResponse:
    case Failure::kOther:
      return kMsgInvalidResponse;
    case Failure::kProxyError:
      break;
  }
  switch (*failure.proxy_error) {
    case ErrorName::kValidation:
      return kMsgInvalidResponse;
    case ErrorName::kInvalidState:
      return kMsgKeyDisabled;
    case ErrorName::kInvalidCiphertext:
      return kMsgCiphertextRejected;
    case ErrorName::kInvalidKeyUsage:
      return kMsgKeyUsage;
    case ErrorName::kAuthenticationFailed:
      return kMsgAuthentication;
    case ErrorName::kAccessDenied:
      return kMsgAccessDenied;
    case ErrorName::kKeyNotFound:
      return kMsgKeyNotFound;
    case ErrorName::kInvalidUriPath:
      return kMsgUriPath;
    case ErrorName::kUnsupportedOperation:
      return kMsgUnsupported;
    case ErrorName::kDependencyTimeout:
      return kMsgDependencyTimeout;
    case ErrorName::kThrottling:
      return kMsgThrottled;
    case ErrorName::kInternal:
      return kMsgProxyInternal;
  }
  return kMsgInvalidResponse;
}

Status XksKeyNotFound(std::string message) {
  return Status(ErrorCode::kValidation, std::move(message)).Named("XksKeyNotFoundException");
}
Status XksKeyInvalidConfiguration(std::string message) {
  return Status(ErrorCode::kValidation, std::move(message)).Named("XksKeyInvalidConfigurationException");
}

// Byte length of Coffer's ciphertext header (kms/ciphertext.h).
std::size_t HeaderLength(const kms::CiphertextHeader& header) {
  return 1 + 1 + header.account.size() + 1 + header.key_id.size() + kms::kVersionIdLen;
}

RequestMetadata MetadataFor(const kms::KeyStoreCall& call) {
  RequestMetadata m;
  m.aws_principal_arn = call.principal_arn.empty() ? "AWS Internal" : call.principal_arn;
  m.kms_key_arn = call.kms_key_arn;
  m.kms_operation = call.operation;
  m.kms_request_id = call.request_id.empty() ? "-" : call.request_id;
  m.kms_via_service = call.via_service;
  return m;
}

struct ExternalLayer {
  ByteView header_bytes;
  Bytes ciphertext_metadata;
  Bytes iv;
  Bytes tag;
  Bytes ciphertext;
};

StatusOr<ExternalLayer> SplitBlob(ByteView blob, const kms::CiphertextHeader& header) {
  const Status bad(ErrorCode::kInvalidCiphertext, "The ciphertext is invalid for this KMS key.");
  const std::size_t header_len = HeaderLength(header);
  if (blob.size() < header_len) return bad;
  ExternalLayer out;
  out.header_bytes = blob.first(header_len);
  Cursor cursor(blob.subspan(header_len));
  std::uint8_t marker = 0;
  ByteView metadata;
  ByteView iv;
  ByteView tag;
  if (!cursor.ReadU8(&marker) || marker != kExternalLayer || !cursor.ReadU8LengthPrefixed(&metadata) ||
      metadata.size() > kMaxCiphertextMetadataBytes || !cursor.ReadU8LengthPrefixed(&iv) ||
      (iv.size() != 12 && iv.size() != 16) || !cursor.ReadBytes(kTagBytes, &tag) || cursor.Rest().empty()) {
    return bad;
  }
  out.ciphertext_metadata.assign(metadata.begin(), metadata.end());
  out.iv.assign(iv.begin(), iv.end());
  out.tag.assign(tag.begin(), tag.end());
  out.ciphertext.assign(cursor.Rest().begin(), cursor.Rest().end());
  return out;
}

class XksBackend final : public kms::KeyStoreBackend {
 public:
  XksBackend(kms::CustomKeyStoreRecord record, std::unique_ptr<XksClient> client, kms::KeyStore& keys,
             RandomSource& random)
      : record_(std::move(record)), client_(std::move(client)), keys_(keys), random_(random) {}

  std::optional<kms::ConnectionFailure> Connect() override {
    std::uint8_t raw[16] = {};
    (void)random_.Fill(raw);
    StatusOr<HealthStatus> health = client_->GetHealthStatus({FormatUuid(raw), "ConnectCustomKeyStore"});
    if (!health.ok()) {
      return kms::ConnectionFailure{ConnectionErrorCodeFor(health.status()),
                                    std::string(health.status().message())};
    }
    for (const auto& ekm : health->ekm_fleet) {
      if (ekm.health_status != "UNAVAILABLE") return std::nullopt;
    }
    return kms::ConnectionFailure{"XKS_PROXY_NOT_REACHABLE", "every external key manager is UNAVAILABLE"};
  }

  void Disconnect() override {}

  Status CreateKeyMaterial(kms::KeyRecord& draft, const nlohmann::json& request,
                           const kms::KeyStoreCall& call) override {
    const auto it = request.find("XksKeyId");
    if (it == request.end() || !it->is_string() || !IsValidExternalKeyId(it->get<std::string>())) {
      return ValidationError("XksKeyId is required for a key in an external key store");
    }
    const std::string xks_key_id = it->get<std::string>();
    RETURN_IF_ERROR(CheckNotInUse(draft, xks_key_id));
    MetadataRequest metadata_request{MetadataFor(call)};
    metadata_request.metadata.kms_key_arn.clear();  // the key does not exist yet (specification)
    StatusOr<KeyMetadata> metadata = client_->GetKeyMetadata(xks_key_id, metadata_request);
    if (!metadata.ok()) return CreateKeyErrorFor(metadata.status());
    const auto has = [&](std::string_view usage) {
      return std::find(metadata->key_usage.begin(), metadata->key_usage.end(), usage) !=
             metadata->key_usage.end();
    };
    if (metadata->key_spec != "AES_256" || !has("ENCRYPT") || !has("DECRYPT")) {
      return XksKeyInvalidConfiguration("The external key " + xks_key_id +
                                        " must be a 256-bit AES key that supports ENCRYPT and DECRYPT.");
    }
    if (metadata->key_status != "ENABLED") {
      return XksKeyInvalidConfiguration("The external key " + xks_key_id +
                                        " is not enabled in the external key manager.");
    }
    draft.xks_key_id = xks_key_id;
    return Status::Ok();
  }

  StatusOr<Bytes> Seal(const kms::LoadedKey& key, const kms::CiphertextHeader& header,
                       const kms::EncryptionContext& context, ByteView plaintext,
                       const kms::KeyStoreCall& call) override {
    const SecretBytes* material = key.Material(HexEncode(header.version_id));
    if (material == nullptr) return InternalError("key material missing");
    ASSIGN_OR_RETURN(Bytes inner, kms::SealCiphertext(header, *material, context, plaintext, random_));
    const std::size_t header_len = HeaderLength(header);
    EncryptRequest request{MetadataFor(call), SecretBytes(inner),
                           Bytes(inner.begin(), inner.begin() + header_len), true};
    SecureWipe(inner.data(), inner.size());
    StatusOr<EncryptResponse> sealed = client_->Encrypt(key.record.xks_key_id, request);
    if (!sealed.ok()) return CryptoErrorFor(sealed.status());
    Bytes blob(request.aad->begin(), request.aad->end());
    blob.push_back(kExternalLayer);
    blob.push_back(static_cast<std::uint8_t>(sealed->ciphertext_metadata.size()));
    blob.insert(blob.end(), sealed->ciphertext_metadata.begin(), sealed->ciphertext_metadata.end());
    blob.push_back(static_cast<std::uint8_t>(sealed->iv.size()));
    blob.insert(blob.end(), sealed->iv.begin(), sealed->iv.end());
    blob.insert(blob.end(), sealed->tag.begin(), sealed->tag.end());
    blob.insert(blob.end(), sealed->ciphertext.begin(), sealed->ciphertext.end());
    return blob;
  }

  StatusOr<SecretBytes> Open(const kms::LoadedKey& key, ByteView blob, const kms::EncryptionContext& context,
                             const kms::KeyStoreCall& call) override {
    ASSIGN_OR_RETURN(kms::CiphertextHeader header, kms::ParseCiphertextHeader(blob));
    ASSIGN_OR_RETURN(ExternalLayer layer, SplitBlob(blob, header));
    const SecretBytes* material = key.Material(HexEncode(header.version_id));
    if (material == nullptr) {
      return Status(ErrorCode::kInvalidCiphertext,
                    "The ciphertext refers to a key version that does not exist.");
    }
    DecryptRequest request{MetadataFor(call),
                           std::move(layer.ciphertext),
                           std::move(layer.ciphertext_metadata),
                           Bytes(layer.header_bytes.begin(), layer.header_bytes.end()),
                           std::move(layer.iv),
                           std::move(layer.tag)};
    StatusOr<SecretBytes> inner = client_->Decrypt(key.record.xks_key_id, request);
    if (!inner.ok()) return CryptoErrorFor(inner.status());
    // The inner blob must carry the same header; its own tag binds the context.
    if (inner->size() < layer.header_bytes.size() ||
        !std::equal(layer.header_bytes.begin(), layer.header_bytes.end(), inner->data())) {
      return Status(ErrorCode::kInvalidState, std::string(kMsgCiphertextRejected));
    }
    return kms::OpenCiphertext(inner->view(), *material, context);
  }

  StatusOr<SecretBytes> GenerateRandom(std::size_t) override {
    return Status(ErrorCode::kUnsupportedOperation,
                  "GenerateRandom does not support custom key stores of type EXTERNAL_KEY_STORE.");
  }

  Status DestroyKeyMaterial(const kms::KeyRecord&) override { return Status::Ok(); }

 private:
  // XksKeyAlreadyInUseException: one external key per KMS key of a store.
  Status CheckNotInUse(const kms::KeyRecord& draft, const std::string& xks_key_id) {
    std::string after;
    while (true) {
      ASSIGN_OR_RETURN(kms::KeyPage page, keys_.ListKeys(draft.region, draft.account, after, 500));
      for (const auto& other : page.keys) {
        if (other.custom_key_store_id == draft.custom_key_store_id && other.xks_key_id == xks_key_id) {
          return Status(ErrorCode::kValidation, "The external key " + xks_key_id +
                                                    " is already associated with a KMS key in this external "
                                                    "key store.")
              .Named("XksKeyAlreadyInUseException");
        }
      }
      if (!page.truncated || page.keys.empty()) return Status::Ok();
      after = page.keys.back().key_id;
    }
  }

  kms::CustomKeyStoreRecord record_;
  std::unique_ptr<XksClient> client_;
  kms::KeyStore& keys_;
  RandomSource& random_;
};

}  // namespace

std::string ConnectionErrorCodeFor(const Status& failure) {
  const CallFailure what = FailureOf(failure);
  switch (what.kind) {
    case Failure::kNotReachable:
      return "XKS_PROXY_NOT_REACHABLE";
    case Failure::kTimedOut:
      return "XKS_PROXY_TIMED_OUT";
    case Failure::kInvalidResponse:
      return "XKS_PROXY_INVALID_RESPONSE";
    case Failure::kOther:
      return "INTERNAL_ERROR";
    case Failure::kProxyError:
      break;
  }
  switch (*what.proxy_error) {
    case ErrorName::kAuthenticationFailed:
      return "INVALID_CREDENTIALS";
    case ErrorName::kAccessDenied:
      return "XKS_PROXY_ACCESS_DENIED";
    case ErrorName::kInvalidUriPath:
      return "XKS_PROXY_INVALID_CONFIGURATION";
    case ErrorName::kDependencyTimeout:
      return "XKS_PROXY_TIMED_OUT";
    case ErrorName::kThrottling:
      return "XKS_PROXY_NOT_REACHABLE";
    default:
      return "XKS_PROXY_INVALID_RESPONSE";
  }
}

Status CryptoErrorFor(const Status& failure) {
  const CallFailure what = FailureOf(failure);
  if (what.kind == Failure::kOther) return failure;  // not a proxy call failure (e.g. a local check)
  spdlog::warn("xks: proxy call failed: {}", failure.message());
  return Status(ErrorCode::kInvalidState, std::string(MessageFor(what)));
}

Status CreateKeyErrorFor(const Status& failure) {
  const CallFailure what = FailureOf(failure);
  if (what.kind == Failure::kOther) return failure;
  spdlog::warn("xks: proxy call failed during CreateKey: {}", failure.message());
  const std::string message(MessageFor(what));
  if (what.kind == Failure::kProxyError) {
    switch (*what.proxy_error) {
      case ErrorName::kKeyNotFound:
        return XksKeyNotFound(message);
      case ErrorName::kInvalidState:
      case ErrorName::kInvalidKeyUsage:
        return XksKeyInvalidConfiguration(message);
      case ErrorName::kAccessDenied:
        return Status(ErrorCode::kInvalidState, message);
      default:
        break;
    }
  }
  return Status(ErrorCode::kCustomKeyStoreInvalidState, message);
}

Status CheckEndpointMapping(std::string_view spec) {
  const std::size_t eq = spec.find('=');
  const auto is_url = [](std::string_view url) {
    return url.starts_with("https://") || url.starts_with("http://");
  };
  if (eq == std::string_view::npos || !is_url(spec.substr(0, eq)) || !is_url(spec.substr(eq + 1))) {
    return ValidationError("--xks-endpoint-map must be FROM=TO with two http(s):// URLs, not " +
                           std::string(spec));
  }
  return Status::Ok();
}

std::string ReachableEndpoint(const BackendOptions& options, const std::string& uri_endpoint) {
  for (const std::string& spec : options.endpoint_map) {
    const std::size_t eq = spec.find('=');
    if (eq != std::string::npos && spec.compare(0, eq, uri_endpoint) == 0) return spec.substr(eq + 1);
  }
  return uri_endpoint;
}

kms::BackendFactory XksBackendFactory(kms::KeyStore& keys, RandomSource& random, const Clock& clock,
                                      BackendOptions options) {
  return [&keys, &random, &clock, options](
             const kms::CustomKeyStoreRecord& record,
             SecretBytes secret) -> StatusOr<std::unique_ptr<kms::KeyStoreBackend>> {
    ClientOptions client_options;
    client_options.uri_endpoint = ReachableEndpoint(options, record.xks_proxy_uri_endpoint);
    client_options.uri_path = record.xks_proxy_uri_path;
    client_options.access_key_id = record.xks_proxy_access_key_id;
    client_options.secret = std::move(secret);
    client_options.region = record.region;
    client_options.timeout = options.timeout;
    client_options.ca_bundle = options.ca_bundle;
    ASSIGN_OR_RETURN(auto client, XksClient::Create(std::move(client_options), clock));
    return std::unique_ptr<kms::KeyStoreBackend>(new XksBackend(record, std::move(client), keys, random));
  };
}

}  // namespace coffer::xks
