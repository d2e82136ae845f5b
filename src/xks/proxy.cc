#include "xks/proxy.h"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "common/json_parse.h"
#include "rootkey/private_file.h"

namespace coffer::xks {
namespace {

// The specification: requests more than 5 minutes old (or ahead) fail.
constexpr std::chrono::seconds kMaxSkew{5 * 60};

bool AllOf(std::string_view text, bool (*allowed)(char)) {
  for (char c : text) {
    if (!allowed(c)) return false;
  }
  return true;
}

bool IsAccessKeyChar(char c) { return (c >= 'A' && c <= 'Z') || (c >= '2' && c <= '7'); }
bool IsSecretChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/' ||
         c == '=';
}
bool IsUriPathChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '/' || c == '-' ||
         c == '_';
}

ProxyResponse Error(ErrorName name, std::string message) {
  return {ErrorHttpStatus(name), EncodeError({name, std::move(message)})};
}

// A backend failure as the specification names it. Internal details stay in
// the proxy's log; the caller gets the error's own wording.
ProxyResponse BackendError(const Status& status) {
  switch (status.code()) {
    case ErrorCode::kNotFound:
      return Error(ErrorName::kKeyNotFound, "The specified external key was not found");
    case ErrorCode::kDisabled:
    case ErrorCode::kInvalidState:
      return Error(ErrorName::kInvalidState, "The specified external key is disabled");
    case ErrorCode::kInvalidKeyUsage:
      return Error(ErrorName::kInvalidKeyUsage, "The specified key does not support this operation");
    case ErrorCode::kInvalidCiphertext:
      return Error(ErrorName::kInvalidCiphertext,
                   "The ciphertext, initialization vector, additional authenticated data or authentication "
                   "tag is corrupted, missing, or otherwise invalid");
    case ErrorCode::kValidation:
      return Error(ErrorName::kValidation, status.message());
    case ErrorCode::kUnsupportedOperation:
      return Error(ErrorName::kUnsupportedOperation, status.message());
    case ErrorCode::kUnavailable:
    case ErrorCode::kDependencyTimeout:
      return Error(ErrorName::kDependencyTimeout, "The key manager did not answer in time");
    default:
      spdlog::error("xks proxy: key manager failure: {}", status.message());
      return Error(ErrorName::kInternal, "The key manager failed");
  }
}

// A request decode failure: ValidationException or UnsupportedOperationException.
ProxyResponse DecodeError(const Status& status) {
  if (status.code() == ErrorCode::kUnsupportedOperation) {
    return Error(ErrorName::kUnsupportedOperation, status.message());
  }
  return Error(ErrorName::kValidation, status.message());
}

ProxyResponse Ok(std::string body) { return {200, std::move(body)}; }

}  // namespace

// The one configured credential, found by its access key id in constant time.
class XksProxy::CredentialSource final : public auth::SecretKeySource {
 public:
  explicit CredentialSource(ProxyCredential credential) : credential_(std::move(credential)) {}
  StatusOr<SecretBytes> SecretKeyFor(std::string_view access_key_id) override {
    if (!ConstantTimeEquals(AsBytes(access_key_id), AsBytes(credential_.access_key_id))) {
      return NotFoundError("unknown access key id");
    }
    return credential_.secret.Clone();
  }

 private:
  ProxyCredential credential_;
};

Status CheckProxyCredential(std::string_view access_key_id, ByteView secret) {
  if (access_key_id.size() < 20 || access_key_id.size() > 30 || !AllOf(access_key_id, IsAccessKeyChar)) {
    return ValidationError("the XKS proxy access key id must be 20-30 characters of A-Z and 2-7");
  }
  if (secret.size() < 43 || secret.size() > 64 || !AllOf(AsChars(secret), IsSecretChar)) {
    return ValidationError("the XKS proxy secret access key must be 43-64 characters of A-Z a-z 0-9 + / =");
  }
  return Status::Ok();
}

StatusOr<ProxyCredential> LoadProxyCredential(const std::filesystem::path& file) {
  ASSIGN_OR_RETURN(SecretBytes text, rootkey::ReadPrivateFile(file, "the XKS proxy credential file"));
  std::optional<nlohmann::json> parsed = ParseJson(AsChars(text.view()));
  if (parsed && parsed->is_object() && parsed->contains("XksProxyAuthenticationCredential")) {
    parsed = (*parsed)["XksProxyAuthenticationCredential"];
  }
  if (!parsed || !parsed->is_object() || !(*parsed)["AccessKeyId"].is_string() ||
      !(*parsed)["RawSecretAccessKey"].is_string()) {
    return ValidationError(file.string() +
                           ": expected JSON with the string members AccessKeyId and RawSecretAccessKey");
  }
  ProxyCredential credential;
  credential.access_key_id = (*parsed)["AccessKeyId"].get<std::string>();
  auto& secret = (*parsed)["RawSecretAccessKey"].get_ref<std::string&>();
  credential.secret = SecretBytes(AsBytes(secret));
  SecureWipe(secret.data(), secret.size());
  RETURN_IF_ERROR(CheckProxyCredential(credential.access_key_id, credential.secret.view()));
  return credential;
}

Status CheckUriPath(std::string_view uri_path) {
  if (uri_path.size() > 128 || !uri_path.starts_with('/') || !uri_path.ends_with(kApiSuffix) ||
      !AllOf(uri_path, IsUriPathChar) || uri_path.find("//") != std::string_view::npos) {
    return ValidationError(
        "the XKS proxy URI path must start with '/', end with /kms/xks/v1 and hold at most 128 characters "
        "of a-z A-Z 0-9 / - _");
  }
  return Status::Ok();
}

XksProxy::XksProxy(std::string uri_path, ProxyCredential credential, KeyBackend& backend, const Clock& clock)
    : uri_path_(std::move(uri_path)),
      credentials_(std::make_unique<CredentialSource>(std::move(credential))),
      verifier_(clock, *credentials_, auth::VerifierOptions{.max_skew = kMaxSkew, .max_cached_keys = 16}),
      backend_(backend) {}

XksProxy::~XksProxy() = default;

bool XksProxy::Claims(std::string_view target) const {
  const std::string_view path = target.substr(0, target.find('?'));
  if (!path.starts_with(uri_path_)) return false;
  return path.size() == uri_path_.size() || path[uri_path_.size()] == '/';
}

ProxyResponse XksProxy::Handle(const ProxyRequest& request) {
  auth::HttpRequest signed_request{request.method, request.target, request.headers, request.body};
  if (request.method != "POST") {
    return {405, EncodeError({ErrorName::kValidation, "XKS proxy operations accept only POST"})};
  }
  StatusOr<auth::VerifiedIdentity> identity = verifier_.Verify(signed_request);
  if (!identity.ok() || identity->service != kSigningName) {
    const std::string why = identity.ok() ? "the signature is not for service kms-xks-proxy"
                                          : std::string(identity.status().message());
    spdlog::info("xks proxy: {} refused: {}", request.target.substr(0, 256), why);
    return Error(ErrorName::kAuthenticationFailed, why);
  }
  const std::string_view target = request.target;
  std::string log;
  ProxyResponse response =
      Route(target.substr(0, target.find('?')).substr(uri_path_.size()), request.body, log);
  spdlog::info("xks proxy: {} -> {}", log, response.status);
  return response;
}

ProxyResponse XksProxy::Route(std::string_view path, const std::string& body, std::string& out_log) {
  out_log = "path " + std::string(path.substr(0, 160));
  if (path == "/health") {
    StatusOr<HealthRequest> request = DecodeHealthRequest(body);
    if (!request.ok()) return DecodeError(request.status());
    out_log =
        "GetHealthStatus kmsRequestId=" + request->kms_request_id + " kmsOperation=" + request->kms_operation;
    StatusOr<HealthStatus> health = backend_.Health();
    if (!health.ok()) return BackendError(health.status());
    return Ok(EncodeHealthStatus(*health));
  }
  constexpr std::string_view kKeys = "/keys/";
  const std::size_t slash = path.rfind('/');
  if (!path.starts_with(kKeys) || slash < kKeys.size()) {
    return Error(ErrorName::kInvalidUriPath, "The URI path is not valid");
  }
  const std::string_view key_id = path.substr(kKeys.size(), slash - kKeys.size());
  const std::string_view operation = path.substr(slash + 1);
  if (!IsValidExternalKeyId(key_id))
    return Error(ErrorName::kInvalidUriPath, "The external key id is not valid");
  const std::string key(key_id);
  if (operation == "metadata") {
    StatusOr<MetadataRequest> request = DecodeMetadataRequest(body);
    if (!request.ok()) return DecodeError(request.status());
    out_log = "GetKeyMetadata key=" + key + " kmsRequestId=" + request->metadata.kms_request_id;
    StatusOr<KeyMetadata> metadata = backend_.Describe(key);
    if (!metadata.ok()) return BackendError(metadata.status());
    return Ok(EncodeKeyMetadata(*metadata));
  }
  if (operation == "encrypt") {
    StatusOr<EncryptRequest> request = DecodeEncryptRequest(body);
    if (!request.ok()) return DecodeError(request.status());
    out_log = "Encrypt key=" + key + " kmsRequestId=" + request->metadata.kms_request_id;
    StatusOr<EncryptResponse> sealed = backend_.Encrypt(key, request->aad, request->plaintext.view());
    if (!sealed.ok()) return BackendError(sealed.status());
    if (request->want_integrity_value) sealed->integrity_value = IntegrityValue(request->aad, *sealed);
    return Ok(EncodeEncryptResponse(*sealed));
  }
  if (operation == "decrypt") {
    StatusOr<DecryptRequest> request = DecodeDecryptRequest(body);
    if (!request.ok()) return DecodeError(request.status());
    out_log = "Decrypt key=" + key + " kmsRequestId=" + request->metadata.kms_request_id;
    StatusOr<SecretBytes> plaintext = backend_.Decrypt(key, *request);
    if (!plaintext.ok()) return BackendError(plaintext.status());
    return Ok(EncodeDecryptResponse(plaintext->view()));
  }
  return Error(ErrorName::kInvalidUriPath, "The URI path is not valid");
}

}  // namespace coffer::xks
