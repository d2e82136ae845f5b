// Coffer as an XKS proxy: the four XKS Proxy API operations under one
// configured URI path, SigV4-verified (signing name kms-xks-proxy) against
// one configured credential, answered by a KeyBackend (Coffer's own KMS keys
// or a PKCS#11 token's keys). The process wiring (server/app.cc) hands it
// every buffered request whose path it Claims.
//
// The proxy logs the kmsRequestId, operation, external key id and outcome of
// each call; never a plaintext, a key or the secret access key.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "auth/sigv4.h"
#include "common/clock.h"
#include "common/secret_bytes.h"
#include "common/status_or.h"
#include "xks/wire.h"

namespace coffer::xks {

// The proxy's keys. External key ids reach here already checked
// (IsValidExternalKeyId). Errors: kNotFound (KeyNotFoundException),
// kDisabled / kInvalidState (InvalidStateException), kInvalidKeyUsage,
// kInvalidCiphertext, kUnavailable (DependencyTimeoutException), anything
// else InternalException.
class KeyBackend {
 public:
  virtual ~KeyBackend() = default;
  virtual StatusOr<KeyMetadata> Describe(std::string_view external_key_id) = 0;
  // AES-256-GCM: the backend chooses iv and ciphertextMetadata and seals
  // with GcmAad(aad, ciphertext_metadata).
  virtual StatusOr<EncryptResponse> Encrypt(std::string_view external_key_id, const std::optional<Bytes>& aad,
                                            ByteView plaintext) = 0;
  virtual StatusOr<SecretBytes> Decrypt(std::string_view external_key_id, const DecryptRequest& request) = 0;
  // A deep check: the key manager answers and can run AES-GCM.
  virtual StatusOr<HealthStatus> Health() = 0;
};

// The proxy's SigV4 credential (what KMS is configured with as
// XksProxyAuthenticationCredential).
struct ProxyCredential {
  std::string access_key_id;  // 20-30 of A-Z 2-7
  SecretBytes secret;         // 43-64 of A-Z a-z 0-9 + / =
};

// Reads a credential file: JSON {"AccessKeyId": ..., "RawSecretAccessKey": ...},
// or the AWS console's proxy configuration file (the same two members under
// "XksProxyAuthenticationCredential"). Refuses a file readable or writable
// by group or others, and values outside AWS's character sets and lengths.
StatusOr<ProxyCredential> LoadProxyCredential(const std::filesystem::path& file);
Status CheckProxyCredential(std::string_view access_key_id, ByteView secret);

// "/prefix/kms/xks/v1" (or "/kms/xks/v1"): at most 128 characters of
// a-z A-Z 0-9 / - _, starting with '/' and ending with kApiSuffix.
Status CheckUriPath(std::string_view uri_path);

struct ProxyRequest {
  std::string method;
  std::string target;  // path, optionally ?query
  std::vector<auth::Header> headers;
  std::string body;
};

struct ProxyResponse {
  int status = 200;
  std::string body;  // JSON (Content-Type application/json)
};

class XksProxy {
 public:
  XksProxy(std::string uri_path, ProxyCredential credential, KeyBackend& backend, const Clock& clock);
  ~XksProxy();
  XksProxy(const XksProxy&) = delete;
  XksProxy& operator=(const XksProxy&) = delete;

  // Whether a request target belongs to this proxy: its path starts with
  // the configured URI path followed by '/' (or is the path itself).
  bool Claims(std::string_view target) const;

  ProxyResponse Handle(const ProxyRequest& request);

 private:
  class CredentialSource;
  ProxyResponse Route(std::string_view path, const std::string& body, std::string& out_log);

  std::string uri_path_;
  std::unique_ptr<CredentialSource> credentials_;
  auth::SigV4Verifier verifier_;
  KeyBackend& backend_;
};

}  // namespace coffer::xks
