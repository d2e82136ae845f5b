#include "xks/client.h"

#include "auth/sigv4.h"
#include "coffer/kms_client.h"
#include "common/secret_bytes.h"
#include "envelope/kms/endpoint.h"
#include "xks/proxy.h"

namespace coffer::xks {
namespace {

// Status types of the failures that are not the proxy's own errorName.
constexpr std::string_view kNotReachable = "XksProxyNotReachable";
constexpr std::string_view kTimedOut = "XksProxyTimedOut";
constexpr std::string_view kInvalidResponse = "XksProxyInvalidResponse";

Status InvalidResponse(const Status& why) {
  return Status(ErrorCode::kInternal, std::string(why.message())).Named(kInvalidResponse);
}

}  // namespace

CallFailure FailureOf(const Status& status) {
  const std::string_view type = status.type();
  if (type == kNotReachable) return {Failure::kNotReachable, std::nullopt};
  if (type == kTimedOut) return {Failure::kTimedOut, std::nullopt};
  if (type == kInvalidResponse) return {Failure::kInvalidResponse, std::nullopt};
  if (std::optional<ErrorName> name = ParseErrorName(type)) return {Failure::kProxyError, name};
  return {Failure::kOther, std::nullopt};
}

StatusOr<std::unique_ptr<XksClient>> XksClient::Create(ClientOptions options, const Clock& clock) {
  RETURN_IF_ERROR(CheckUriPath(options.uri_path));
  ASSIGN_OR_RETURN(envelope::Endpoint endpoint, envelope::ParseEndpoint(options.uri_endpoint));
  envelope::KmsClientOptions transport_options;
  transport_options.endpoint = options.uri_endpoint;
  transport_options.ca_bundle = options.ca_bundle;
  transport_options.io_timeout = options.timeout;
  ASSIGN_OR_RETURN(auto transport, envelope::NewBeastTransport(transport_options));
  return std::unique_ptr<XksClient>(
      new XksClient(std::move(options), endpoint.host_header, std::move(transport), clock));
}

XksClient::XksClient(ClientOptions options, std::string host_header,
                     std::unique_ptr<envelope::HttpTransport> transport, const Clock& clock)
    : options_(std::move(options)),
      host_header_(std::move(host_header)),
      transport_(std::move(transport)),
      clock_(clock) {}

XksClient::~XksClient() = default;

StatusOr<std::string> XksClient::Post(const std::string& suffix, std::string body) {
  auth::HttpRequest request{"POST",
                            options_.uri_path + suffix,
                            {{"Host", host_header_}, {"Content-Type", "application/json"}},
                            std::move(body)};
  auth::SigningParams params;
  params.access_key_id = options_.access_key_id;
  params.secret_access_key = std::string(AsChars(options_.secret.view()));
  params.region = options_.region;
  params.service = std::string(kSigningName);
  params.time = clock_.Now();
  const Status signed_ok = auth::SignRequest(request, params);
  SecureWipe(params.secret_access_key.data(), params.secret_access_key.size());
  RETURN_IF_ERROR(signed_ok);

  envelope::HttpCall call{"POST", request.target, request.headers, std::move(request.body)};
  const auto started = std::chrono::steady_clock::now();
  StatusOr<envelope::HttpResponse> answer = transport_->Send(call);
  SecureWipe(call.body.data(), call.body.size());
  if (!answer.ok()) {
    // The transport reports every network failure alike; a failure at the
    // deadline is the deadline's.
    const bool timed_out = std::chrono::steady_clock::now() - started >= options_.timeout;
    return Status(ErrorCode::kUnavailable, std::string(answer.status().message()))
        .Named(timed_out ? kTimedOut : kNotReachable);
  }
  if (answer->status == 200) return std::move(answer->body);
  StatusOr<ProxyError> error = DecodeError(answer->body);
  if (!error.ok()) {
    return InvalidResponse(Status(ErrorCode::kInternal,
                                  "HTTP " + std::to_string(answer->status) + " without an XKS error body"));
  }
  return Status(ErrorCode::kInternal, "the XKS proxy answered " + std::string(ErrorNameText(error->name)))
      .Named(ErrorNameText(error->name));
}

StatusOr<HealthStatus> XksClient::GetHealthStatus(const HealthRequest& request) {
  ASSIGN_OR_RETURN(std::string body, Post("/health", EncodeHealthRequest(request)));
  StatusOr<HealthStatus> health = DecodeHealthStatus(body);
  if (!health.ok()) return InvalidResponse(health.status());
  return health;
}

StatusOr<KeyMetadata> XksClient::GetKeyMetadata(std::string_view external_key_id,
                                                const MetadataRequest& request) {
  if (!IsValidExternalKeyId(external_key_id)) return ValidationError("invalid external key id");
  ASSIGN_OR_RETURN(std::string body, Post("/keys/" + std::string(external_key_id) + "/metadata",
                                          EncodeMetadataRequest(request)));
  StatusOr<KeyMetadata> metadata = DecodeKeyMetadata(body);
  if (!metadata.ok()) return InvalidResponse(metadata.status());
  return metadata;
}

StatusOr<EncryptResponse> XksClient::Encrypt(std::string_view external_key_id,
                                             const EncryptRequest& request) {
  if (!IsValidExternalKeyId(external_key_id)) return ValidationError("invalid external key id");
  ASSIGN_OR_RETURN(std::string body,
                   Post("/keys/" + std::string(external_key_id) + "/encrypt", EncodeEncryptRequest(request)));
  StatusOr<EncryptResponse> sealed = DecodeEncryptResponse(body, request.plaintext.size());
  if (!sealed.ok()) return InvalidResponse(sealed.status());
  if (request.want_integrity_value) {
    const Bytes expected = IntegrityValue(request.aad, *sealed);
    if (!ConstantTimeEquals(expected, sealed->integrity_value)) {
      return InvalidResponse(InternalError("the ciphertextDataIntegrityValue does not match"));
    }
  }
  return sealed;
}

StatusOr<SecretBytes> XksClient::Decrypt(std::string_view external_key_id, const DecryptRequest& request) {
  if (!IsValidExternalKeyId(external_key_id)) return ValidationError("invalid external key id");
  ASSIGN_OR_RETURN(std::string body,
                   Post("/keys/" + std::string(external_key_id) + "/decrypt", EncodeDecryptRequest(request)));
  StatusOr<SecretBytes> plaintext = DecodeDecryptResponse(body, request.ciphertext.size());
  SecureWipe(body.data(), body.size());
  if (!plaintext.ok()) return InvalidResponse(plaintext.status());
  return plaintext;
}

}  // namespace coffer::xks
