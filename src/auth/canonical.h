// Internal to src/auth: the pieces of a SigV4 canonical request and the text
// helpers they need. Everything here works on string_views into the request
// and appends into one caller-owned buffer, so building a canonical request
// costs a handful of allocations at most.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "auth/sigv4.h"
#include "common/bytes.h"
#include "crypto/crypto.h"

namespace coffer::auth::internal {

inline constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
inline constexpr std::string_view kScopeTerminator = "aws4_request";
inline constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";

struct CanonicalOptions {
  // Remove dot segments and merge slashes (every service but S3).
  bool normalize_path = true;
  // true: URI-encode the received (already encoded) path once more, as SDKs do
  // for every service but S3. false (S3): decode the path, then encode it once.
  bool double_encode_path = true;
  // Presigned form: X-Amz-Signature is not part of what it signs.
  bool skip_signature_param = false;
};

// RFC 3986 unreserved characters pass; every other byte becomes %XX (upper
// case). `keep_slash` leaves '/' alone (for paths).
void AppendUriEncoded(std::string_view in, bool keep_slash, std::string& out);
// Decodes %XX escapes; a '%' not followed by two hex digits stays literal.
// '+' stays '+' (SigV4 signers always encode a space as %20).
std::string UriDecode(std::string_view in);

bool EqualsIgnoreCase(std::string_view a, std::string_view b);

// The request-target split at the first '?'.
std::string_view TargetPath(std::string_view target);
std::string_view TargetQuery(std::string_view target);

// Value of the first query parameter named `name` (exact match), decoded.
// false when absent.
bool FindQueryParam(std::string_view query, std::string_view name, std::string& out_value);

// Appends the canonical request. `signed_headers` are the names in the order
// of the SignedHeaders list (the signer sorts them); `signed_headers_line` is
// that list joined with ';' as it appears in the request.
void AppendCanonicalRequest(const HttpRequest& request, std::span<const std::string_view> signed_headers,
                            std::string_view signed_headers_line, std::string_view payload_hash,
                            const CanonicalOptions& options, std::string& out);

// Hex of the string to sign's last line: SHA-256 of the canonical request.
void AppendStringToSign(std::string_view amz_date, std::string_view scope, std::string_view canonical_request,
                        std::string& out);

// kSigning = HMAC chain "AWS4"+secret -> date -> region -> service -> "aws4_request".
crypto::Sha256Digest DeriveSigningKey(ByteView secret, std::string_view date, std::string_view region,
                                      std::string_view service);

// Lower-case hex of HMAC-SHA256(signing_key, string_to_sign).
void AppendSignature(ByteView signing_key, std::string_view string_to_sign, std::string& out);

// Lower-case hex SHA-256 of the body.
void AppendBodyHash(std::string_view body, std::string& out);

}  // namespace coffer::auth::internal
