// Reads the SigV4 parameters of a request. The messages follow AWS's wording
// (IncompleteSignatureException texts) but never repeat the signature.
#include "auth/sigv4_params.h"

#include <array>
#include <charconv>
#include <chrono>
#include <utility>

#include "auth/canonical.h"

namespace coffer::auth::internal {
namespace {

constexpr std::size_t kMaxEcho = 256;  // longest piece of client input quoted back
constexpr std::int64_t kMaxPresignExpires = 604800;

Status Incomplete(std::string message) { return {ErrorCode::kIncompleteSignature, std::move(message)}; }

std::string_view Echo(std::string_view text) { return text.substr(0, kMaxEcho); }

std::string_view TrimSpaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Looks for `name`; more than one copy of a header that carries a SigV4
// parameter is ambiguous and reported through `out_duplicate`.
std::string_view FindHeader(const HttpRequest& request, std::string_view name,
                            bool* out_duplicate = nullptr) {
  std::string_view found;
  bool seen = false;
  for (const auto& [header_name, value] : request.headers) {
    if (!EqualsIgnoreCase(header_name, name)) continue;
    if (seen && out_duplicate != nullptr) *out_duplicate = true;
    if (!seen) found = value;
    seen = true;
  }
  return found;
}

bool HasHeader(const HttpRequest& request, std::string_view name) {
  for (const auto& header : request.headers) {
    if (EqualsIgnoreCase(header.first, name)) return true;
  }
  return false;
}

struct HeaderComponents {
  std::string_view algorithm;
  std::string_view credential, signed_headers, signature;
  bool has_credential = false, has_signed_headers = false, has_signature = false;
};

// The Authorization value as AWS quotes it back, minus the signature.
std::string RedactedAuthorization(const HeaderComponents& parts) {
  std::string out = "Authorization=";
  out += Echo(parts.algorithm);
  std::string_view separator = " ";
  if (parts.has_credential) {
    out.append(separator).append("Credential=").append(Echo(parts.credential));
    separator = ", ";
  }
  if (parts.has_signed_headers)
    out.append(separator).append("SignedHeaders=").append(Echo(parts.signed_headers));
  return out;
}

// AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...
// Components may come in any order, with or without a space after the comma.
Status SplitAuthorization(std::string_view value, HeaderComponents& out) {
  value = TrimSpaces(value);
  const std::size_t space = value.find(' ');
  out.algorithm = value.substr(0, space);
  std::string_view rest = space == std::string_view::npos ? std::string_view() : value.substr(space + 1);
  while (!rest.empty()) {
    const std::size_t comma = rest.find(',');
    const std::string_view piece = TrimSpaces(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    if (piece.empty()) continue;
    const std::size_t eq = piece.find('=');
    if (eq == std::string_view::npos) {
      std::string message = "'";
      message.append(Echo(piece))
          .append("' not a valid key=value pair (missing equal-sign) in Authorization header: '");
      message.append(RedactedAuthorization(out).substr(14)).append("'.");
      return Incomplete(std::move(message));
    }
    const std::string_view key = piece.substr(0, eq);
    const std::string_view val = piece.substr(eq + 1);
    if (key == "Credential") {
      out.credential = val;
      out.has_credential = true;
    } else if (key == "SignedHeaders") {
      out.signed_headers = val;
      out.has_signed_headers = true;
    } else if (key == "Signature") {
      out.signature = val;
      out.has_signature = true;
    }  // AWS ignores components it does not know.
  }
  return Status::Ok();
}

Status ExtractFromHeader(const HttpRequest& request, std::string_view authorization, AuthParams& out) {
  HeaderComponents parts;
  RETURN_IF_ERROR(SplitAuthorization(authorization, parts));
  if (parts.algorithm != kAlgorithm) {
    return Incomplete("Unsupported AWS 'algorithm': '" + std::string(Echo(parts.algorithm)) + "'.");
  }
  const bool has_amz_date = HasHeader(request, "x-amz-date");
  const bool has_date = has_amz_date || HasHeader(request, "date");
  if (!parts.has_credential || !parts.has_signature || !parts.has_signed_headers || !has_date) {
    std::string message;
    if (!parts.has_credential) message += "Authorization header requires 'Credential' parameter. ";
    if (!parts.has_signature) message += "Authorization header requires 'Signature' parameter. ";
    if (!parts.has_signed_headers) message += "Authorization header requires 'SignedHeaders' parameter. ";
    if (!has_date) {
      message += "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ";
    }
    return Incomplete(message + RedactedAuthorization(parts));
  }
  if (has_amz_date) {
    out.amz_date = TrimSpaces(FindHeader(request, "x-amz-date"));
  } else {
    out.http_date = TrimSpaces(FindHeader(request, "date"));
  }
  out.credential = parts.credential;
  out.signed_headers = parts.signed_headers;
  out.signature = parts.signature;
  out.session_token = TrimSpaces(FindHeader(request, "x-amz-security-token"));
  return Status::Ok();
}

Status ParseExpires(std::string_view text, std::int64_t& out) {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    return Incomplete("X-Amz-Expires should be a number");
  }
  if (value < 0) return Incomplete("X-Amz-Expires must be non-negative");
  if (value > kMaxPresignExpires) {
    return Incomplete("X-Amz-Expires must be less than a week (in seconds) that is 604800");
  }
  out = value;
  return Status::Ok();
}

Status ExtractFromQuery(const HttpRequest& request, std::string_view query, const std::string& algorithm,
                        AuthParams& out) {
  if (algorithm != kAlgorithm) {
    return Incomplete("X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"");
  }
  std::string expires;
  const bool complete = FindQueryParam(query, "X-Amz-Credential", out.credential_buf) &&
                        FindQueryParam(query, "X-Amz-Signature", out.signature_buf) &&
                        FindQueryParam(query, "X-Amz-Date", out.amz_date_buf) &&
                        FindQueryParam(query, "X-Amz-SignedHeaders", out.signed_headers_buf) &&
                        FindQueryParam(query, "X-Amz-Expires", expires);
  if (!complete) {
    return Incomplete(
        "AWS query-string parameters must include 'X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Signature', "
        "'X-Amz-Date', 'X-Amz-SignedHeaders', and 'X-Amz-Expires'. Re-examine the query-string parameters.");
  }
  RETURN_IF_ERROR(ParseExpires(expires, out.expires_seconds));
  out.presigned = true;
  out.credential = out.credential_buf;
  out.signature = out.signature_buf;
  out.amz_date = out.amz_date_buf;
  out.signed_headers = out.signed_headers_buf;
  if (FindQueryParam(query, "X-Amz-Security-Token", out.session_token_buf)) {
    out.session_token = out.session_token_buf;
  } else {
    out.session_token = TrimSpaces(FindHeader(request, "x-amz-security-token"));
  }
  return Status::Ok();
}

bool ParseDigits(std::string_view text, std::size_t pos, std::size_t len, int& out) {
  if (pos + len > text.size()) return false;
  int value = 0;
  for (std::size_t i = pos; i < pos + len; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    value = value * 10 + (text[i] - '0');
  }
  out = value;
  return true;
}

std::optional<TimePoint> MakeTime(int year, int month, int day, int hour, int minute, int second) {
  using namespace std::chrono;
  const year_month_day ymd{std::chrono::year(year), std::chrono::month(static_cast<unsigned>(month)),
                           std::chrono::day(static_cast<unsigned>(day))};
  if (!ymd.ok() || hour > 23 || minute > 59 || second > 59) return std::nullopt;
  return TimePoint(sys_days(ymd)) + hours(hour) + minutes(minute) + seconds(second);
}

}  // namespace

Status ExtractAuthParams(const HttpRequest& request, AuthParams& out) {
  bool duplicate = false;
  const bool has_header = HasHeader(request, "authorization");
  const std::string_view authorization = FindHeader(request, "authorization", &duplicate);
  const std::string_view query = TargetQuery(request.target);
  std::string algorithm;
  const bool has_query = FindQueryParam(query, "X-Amz-Algorithm", algorithm);
  if (!has_header && !has_query) {
    return {ErrorCode::kMissingAuthenticationToken, "Missing Authentication Token"};
  }
  if (has_header && has_query) {
    return Incomplete(
        "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or the Authorization "
        "header "
        "should be specified");
  }
  if (duplicate) return Incomplete("Only one Authorization header is allowed");
  if (has_header) return ExtractFromHeader(request, authorization, out);
  return ExtractFromQuery(request, query, algorithm, out);
}

StatusOr<CredentialScope> ParseCredential(std::string_view credential) {
  std::array<std::string_view, 5> parts;
  std::size_t count = 0;
  std::string_view rest = credential;
  while (count < parts.size()) {
    const std::size_t slash = rest.find('/');
    parts[count++] = rest.substr(0, slash);
    if (slash == std::string_view::npos) break;
    rest = rest.substr(slash + 1);
    if (count == parts.size()) return Incomplete("Credential should be scoped to a valid region.");
  }
  if (count == parts.size() && parts[4] != kScopeTerminator) {
    return Incomplete("Credential should be scoped with a valid terminator: 'aws4_request', not '" +
                      std::string(Echo(parts[4])) + "'.");
  }
  int unused = 0;
  if (count != parts.size() || parts[0].empty() || parts[1].size() != 8 ||
      !ParseDigits(parts[1], 0, 8, unused) || parts[2].empty() || parts[3].empty()) {
    return Incomplete("Credential should be scoped to a valid region.");
  }
  CredentialScope scope;
  scope.access_key_id = parts[0];
  scope.date = parts[1];
  scope.region = parts[2];
  scope.service = parts[3];
  scope.scope = credential.substr(parts[0].size() + 1);
  scope.cache_key = credential.substr(0, credential.size() - kScopeTerminator.size() - 1);
  return scope;
}

std::optional<TimePoint> ParseAmzDate(std::string_view text) {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (text.size() != 16 || text[8] != 'T' || text[15] != 'Z') return std::nullopt;
  if (!ParseDigits(text, 0, 4, year) || !ParseDigits(text, 4, 2, month) || !ParseDigits(text, 6, 2, day) ||
      !ParseDigits(text, 9, 2, hour) || !ParseDigits(text, 11, 2, minute) ||
      !ParseDigits(text, 13, 2, second)) {
    return std::nullopt;
  }
  return MakeTime(year, month, day, hour, minute, second);
}

std::optional<TimePoint> ParseHttpDate(std::string_view text) {
  static constexpr std::string_view kMonths = "JanFebMarAprMayJunJulAugSepOctNovDec";
  // "Sun, 06 Nov 1994 08:49:37 GMT"
  if (text.size() != 29 || text.substr(3, 2) != ", " || text[7] != ' ' || text[11] != ' ' ||
      text[16] != ' ' || text[19] != ':' || text[22] != ':' || text.substr(25) != " GMT") {
    return std::nullopt;
  }
  const std::size_t month_at = kMonths.find(text.substr(8, 3));
  if (month_at == std::string_view::npos || month_at % 3 != 0) return std::nullopt;
  int year = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!ParseDigits(text, 5, 2, day) || !ParseDigits(text, 12, 4, year) || !ParseDigits(text, 17, 2, hour) ||
      !ParseDigits(text, 20, 2, minute) || !ParseDigits(text, 23, 2, second)) {
    return std::nullopt;
  }
  return MakeTime(year, static_cast<int>(month_at / 3) + 1, day, hour, minute, second);
}

std::string FormatAmzDate(TimePoint time) {
  using namespace std::chrono;
  const auto secs = floor<seconds>(time);
  const auto day_start = floor<days>(secs);
  const year_month_day ymd(day_start);
  const hh_mm_ss<seconds> hms(secs - day_start);
  std::array<char, 17> buf{};
  const auto put = [&buf](std::size_t pos, std::size_t len, long long value) {
    for (std::size_t i = len; i > 0; --i) {
      buf[pos + i - 1] = static_cast<char>('0' + value % 10);
      value /= 10;
    }
  };
  put(0, 4, static_cast<int>(ymd.year()));
  put(4, 2, static_cast<unsigned>(ymd.month()));
  put(6, 2, static_cast<unsigned>(ymd.day()));
  buf[8] = 'T';
  put(9, 2, hms.hours().count());
  put(11, 2, hms.minutes().count());
  put(13, 2, hms.seconds().count());
  buf[15] = 'Z';
  return std::string(buf.data(), 16);
}

}  // namespace coffer::auth::internal
