// The AWS KMS External Key Store (XKS) Proxy API, version 1, on the wire:
// request and response bodies of the four operations (GetKeyMetadata,
// Encrypt, Decrypt, GetHealthStatus) and the proxy's error body, with the
// checks the specification ("External Key Store Proxy API Specification",
// aws/aws-kms-xksproxy-api-spec) puts on every member. Both sides use them:
// the proxy decodes requests and encodes answers; Coffer's KMS as an XKS
// client encodes requests and decodes answers.
//
// Decoders of requests fail with kValidation (the proxy answers
// ValidationException) or kUnsupportedOperation (a size beyond what this
// proxy supports); decoders of responses fail with kInternal (the client
// treats the proxy's answer as invalid). Messages never quote a secret.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/secret_bytes.h"
#include "common/status_or.h"

namespace coffer::xks {

// SigV4 signing name of the proxy API.
inline constexpr std::string_view kSigningName = "kms-xks-proxy";
// Every XksProxyUriPath ends with this (the version 1 API).
inline constexpr std::string_view kApiSuffix = "/kms/xks/v1";

// Sizes the specification requires a proxy to support; Coffer's proxy
// supports exactly these and answers UnsupportedOperationException beyond.
inline constexpr std::size_t kMaxPlaintextBytes = 4300;
inline constexpr std::size_t kMaxAadBytes = 8192;
inline constexpr std::size_t kMaxCiphertextMetadataBytes = 20;
inline constexpr std::size_t kTagBytes = 16;
inline constexpr std::size_t kMaxArnChars = 2048;
inline constexpr std::size_t kMaxExternalKeyIdChars = 128;

// The error names of the specification's error table, with their HTTP status.
enum class ErrorName {
  kValidation,            // 400
  kInvalidState,          // 400
  kInvalidCiphertext,     // 400
  kInvalidKeyUsage,       // 400
  kAuthenticationFailed,  // 401
  kAccessDenied,          // 403
  kKeyNotFound,           // 404
  kInvalidUriPath,        // 404
  kThrottling,            // 429
  kUnsupportedOperation,  // 501
  kDependencyTimeout,     // 503
  kInternal,              // 500
};

std::string_view ErrorNameText(ErrorName name);  // "ValidationException"
int ErrorHttpStatus(ErrorName name);
std::optional<ErrorName> ParseErrorName(std::string_view text);

struct ProxyError {
  ErrorName name = ErrorName::kInternal;
  std::string message;  // printable ASCII, < 512 characters (truncated when encoded)
};
std::string EncodeError(const ProxyError& error);
// kInternal when the body is not {"errorName": <known name>, "errorMessage"?: string}.
StatusOr<ProxyError> DecodeError(std::string_view body);

// requestMetadata. Which members are required depends on the operation
// (DecodeFor* below); members the specification may add later are ignored.
struct RequestMetadata {
  std::string aws_principal_arn;
  std::string aws_source_vpc;   // optional
  std::string aws_source_vpce;  // optional
  std::string kms_key_arn;      // optional for GetKeyMetadata (absent on CreateKey)
  std::string kms_operation;
  std::string kms_request_id;
  std::string kms_via_service;  // optional
};

struct MetadataRequest {
  RequestMetadata metadata;
};

struct EncryptRequest {
  RequestMetadata metadata;
  SecretBytes plaintext;
  std::optional<Bytes> aad;           // additionalAuthenticatedData
  bool want_integrity_value = false;  // ciphertextDataIntegrityValueAlgorithm = SHA_256
};

struct EncryptResponse {
  Bytes ciphertext;
  Bytes ciphertext_metadata;  // empty: absent
  Bytes iv;                   // 12 or 16 bytes
  Bytes tag;                  // 16 bytes
  Bytes integrity_value;      // empty: absent (SHA-256 otherwise)
};

struct DecryptRequest {
  RequestMetadata metadata;
  Bytes ciphertext;
  Bytes ciphertext_metadata;  // empty: absent
  std::optional<Bytes> aad;
  Bytes iv;
  Bytes tag;
};

struct KeyMetadata {
  std::string key_spec;                // "AES_256"
  std::vector<std::string> key_usage;  // "ENCRYPT", "DECRYPT", ...
  std::string key_status;              // "ENABLED" | "DISABLED"
};

struct HealthRequest {
  std::string kms_request_id;
  std::string kms_operation;
};

struct EkmDetail {
  std::string id;
  std::string model;
  std::string health_status;  // ACTIVE | DEGRADED | UNAVAILABLE
};

struct HealthStatus {
  int proxy_fleet_size = 1;
  std::string proxy_vendor;
  std::string proxy_model;
  std::string ekm_vendor;
  std::vector<EkmDetail> ekm_fleet;  // 1..10 entries
};

// Requests (client side encodes, proxy side decodes).
std::string EncodeMetadataRequest(const MetadataRequest& request);
std::string EncodeEncryptRequest(const EncryptRequest& request);
std::string EncodeDecryptRequest(const DecryptRequest& request);
std::string EncodeHealthRequest(const HealthRequest& request);
StatusOr<MetadataRequest> DecodeMetadataRequest(std::string_view body);
StatusOr<EncryptRequest> DecodeEncryptRequest(std::string_view body);
StatusOr<DecryptRequest> DecodeDecryptRequest(std::string_view body);
StatusOr<HealthRequest> DecodeHealthRequest(std::string_view body);

// Responses (proxy side encodes, client side decodes).
std::string EncodeKeyMetadata(const KeyMetadata& metadata);
std::string EncodeEncryptResponse(const EncryptResponse& response);
std::string EncodeDecryptResponse(ByteView plaintext);
std::string EncodeHealthStatus(const HealthStatus& health);
StatusOr<KeyMetadata> DecodeKeyMetadata(std::string_view body);
// `plaintext_len`: the ciphertext must be exactly as long (AES-GCM).
StatusOr<EncryptResponse> DecodeEncryptResponse(std::string_view body, std::size_t plaintext_len);
StatusOr<SecretBytes> DecodeDecryptResponse(std::string_view body, std::size_t ciphertext_len);
StatusOr<HealthStatus> DecodeHealthStatus(std::string_view body);

// The AAD handed to AES-GCM by a proxy (specification, Encrypt): u16 length
// of additionalAuthenticatedData (big-endian) || aad || u8 length of
// ciphertextMetadata || ciphertextMetadata. Lengths make (aad, metadata)
// pairs unambiguous.
Bytes GcmAad(const std::optional<Bytes>& aad, ByteView ciphertext_metadata);

// Ciphertext Data Integrity Value (specification, Appendix C): SHA-256 over
// aad || ciphertextMetadata || iv || ciphertext || tag.
Bytes IntegrityValue(const std::optional<Bytes>& aad, const EncryptResponse& response);

// An externalKeyId: 1..128 of A-Z a-z 0-9 - . _
bool IsValidExternalKeyId(std::string_view id);

}  // namespace coffer::xks
