// Internal to src/auth: reading the SigV4 parameters out of a request (the
// Authorization header or the presigned query) and the two date formats.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "auth/sigv4.h"
#include "common/clock.h"
#include "common/status.h"
#include "common/status_or.h"

namespace coffer::auth::internal {

// The signature parameters of one request. Views point into the request (for
// the header form) or into the decoded copies held here (presigned form), so
// an AuthParams is filled in place and never copied or moved.
struct AuthParams {
  AuthParams() = default;
  AuthParams(const AuthParams&) = delete;
  AuthParams& operator=(const AuthParams&) = delete;

  bool presigned = false;
  std::string_view credential;      // AKID/YYYYMMDD/region/service/aws4_request
  std::string_view signed_headers;  // "host;x-amz-date"
  std::string_view signature;       // hex as sent
  std::string_view amz_date;        // ISO 8601 basic, empty when only Date is present
  std::string_view http_date;       // RFC 1123 Date header (header form only)
  std::string_view session_token;
  std::int64_t expires_seconds = 0;  // presigned form only

  // Decoded query values the views above point at (presigned form only).
  std::string credential_buf, signed_headers_buf, signature_buf, amz_date_buf, session_token_buf;
};

// Finds and checks the presence of every parameter. Errors:
// kMissingAuthenticationToken, kIncompleteSignature.
Status ExtractAuthParams(const HttpRequest& request, AuthParams& out);

struct CredentialScope {
  std::string_view access_key_id;
  std::string_view date;  // YYYYMMDD
  std::string_view region;
  std::string_view service;
  std::string_view scope;      // date/region/service/aws4_request
  std::string_view cache_key;  // AKID/date/region/service
};

// Splits AKID/YYYYMMDD/region/service/aws4_request. Error: kIncompleteSignature.
StatusOr<CredentialScope> ParseCredential(std::string_view credential);

// YYYYMMDD'T'HHMMSS'Z'.
std::optional<TimePoint> ParseAmzDate(std::string_view text);
// RFC 1123: "Sun, 06 Nov 1994 08:49:37 GMT".
std::optional<TimePoint> ParseHttpDate(std::string_view text);
std::string FormatAmzDate(TimePoint time);

}  // namespace coffer::auth::internal
