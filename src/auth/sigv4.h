// AWS Signature Version 4: verification of incoming requests (server side) and
// signing (for Coffer's own clients, tests and load generators).
// Reference: AWS "Signature Version 4 signing process"; test vectors in
// ../shared/oracles/sigv4/.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/secret_bytes.h"
#include "common/status_or.h"

namespace coffer::auth {

using Header = std::pair<std::string, std::string>;

// An HTTP request as received: the raw request-target (path with the optional
// '?query', still percent-encoded) and headers in arrival order (names in any case).
struct HttpRequest {
  std::string method;
  std::string target;
  std::vector<Header> headers;
  std::string body;
};

// What the verifier learned from a request whose signature is valid.
struct VerifiedIdentity {
  std::string access_key_id;
  std::string region;         // from the credential scope
  std::string service;        // from the credential scope
  std::string date;           // YYYYMMDD of the scope
  std::string session_token;  // x-amz-security-token, if any (empty otherwise)
  // Whether the signature covers the token (a presigned token always is; a
  // header may have been added after signing, as some services allow).
  bool session_token_signed = false;
  // What a streaming (aws-chunked) body is checked against: the request's hex
  // signature (the seed of the chunk signatures), the X-Amz-Date used (ISO
  // 8601 basic) and the scope "20130524/us-east-1/s3/aws4_request".
  std::string signature;
  std::string amz_date;
  std::string scope;
  // The payload hash the signature covers: a body's hex SHA-256, or for S3
  // one of UNSIGNED-PAYLOAD / STREAMING-* as the client sent it.
  std::string payload_hash;
  // The derived 32-byte signing key; empty unless VerifyOptions asked for it.
  SecretBytes signing_key;
};

// Per-request choices of SigV4Verifier::Verify.
struct VerifyOptions {
  // The body is not in request.body: it will be streamed after Verify
  // returns. Only S3 allows it: the signed payload hash is then the claimed
  // x-amz-content-sha256 (64 hex digits, UNSIGNED-PAYLOAD or a STREAMING-*
  // value), and the caller must check the body against it (identity's
  // payload_hash) as it arrives. Any other service: kValidation.
  bool body_follows = false;
  // Fill VerifiedIdentity::signing_key (for chunk signatures).
  bool want_signing_key = false;
};

// Looks up the secret access key for an access key id. NotFound ->
// kUnrecognizedClient at the verifier.
class SecretKeySource {
 public:
  virtual ~SecretKeySource() = default;
  virtual StatusOr<SecretBytes> SecretKeyFor(std::string_view access_key_id) = 0;
};

struct VerifierOptions {
  std::chrono::seconds max_skew{15 * 60};
  // Derived signing keys kept; when full, an arbitrary entry makes room.
  std::size_t max_cached_keys = 4096;
};

// Verifies Authorization-header SigV4 (AWS4-HMAC-SHA256) and presigned-query
// SigV4. Thread-safe. Caches derived signing keys per (key id, date, region,
// service). Errors: kMissingAuthenticationToken (no auth at all),
// kIncompleteSignature (malformed Authorization/required parts missing),
// kSignatureExpired (x-amz-date outside the skew window or presign expired),
// kUnrecognizedClient (unknown access key), kInvalidSignature (mismatch).
// Messages match AWS's wording. With body_follows (S3 only): a header-signed
// request without x-amz-content-sha256 is kValidation named InvalidRequest, an
// unknown value kValidation named InvalidArgument.
//
// The payload hash is always the SHA-256 of the received body, in both forms,
// for every service but S3 (see PayloadHash in sigv4.cc). The path is
// normalized and encoded once more for every service but S3.
// A cached signing key outlives its secret until Forget() is called.
class SigV4Verifier {
 public:
  SigV4Verifier(const Clock& clock, SecretKeySource& secrets, VerifierOptions options = {});
  ~SigV4Verifier();
  StatusOr<VerifiedIdentity> Verify(const HttpRequest& request);
  StatusOr<VerifiedIdentity> Verify(const HttpRequest& request, const VerifyOptions& options);
  // Drops cached signing keys of one access key (after it is deleted/deactivated).
  void Forget(std::string_view access_key_id);
  // Drops every cached signing key (another cluster node changed access keys).
  void ForgetAll();

 private:
  struct Cache;
  const Clock& clock_;
  SecretKeySource& secrets_;
  VerifierOptions options_;
  std::unique_ptr<Cache> cache_;
};

struct SigningParams {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // optional
  std::string region;
  std::string service;
  TimePoint time;
  // false: S3-style path (no dot-segment removal). S3 never normalizes.
  bool normalize_path = true;
};

// Adds X-Amz-Date (and X-Amz-Security-Token when set) and the Authorization
// header to `request`, signing every header present plus host. The Host header
// must already be present.
Status SignRequest(HttpRequest& request, const SigningParams& params);

// Presigned-URL form: appends X-Amz-Algorithm, -Credential, -Date,
// -SignedHeaders, -Expires (and -Security-Token) to the target's query, signs
// every header present (Host must be), then appends X-Amz-Signature.
// `expires` must be within [0, 604800] seconds.
Status PresignRequest(HttpRequest& request, const SigningParams& params, std::chrono::seconds expires);

// Building blocks, exposed for the oracle tests.
std::string CanonicalRequest(const HttpRequest& request, const std::vector<std::string>& signed_headers,
                             std::string_view payload_hash, bool normalize_path = true);
std::string StringToSign(std::string_view amz_date, std::string_view scope,
                         std::string_view canonical_request);

}  // namespace coffer::auth
