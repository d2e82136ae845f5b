// SigV4 canonical request (AWS "Create a canonical request"), built in one
// pass into one buffer.
#include "auth/canonical.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "common/encoding.h"
#include "crypto/crypto.h"

namespace coffer::auth {
namespace internal {
namespace {

constexpr char kHexUpper[] = "0123456789ABCDEF";

bool IsUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
         c == '.' || c == '~';
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

char ToLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// Splits `text` at the first `sep`; `rest` is empty when `sep` is absent.
std::pair<std::string_view, std::string_view> SplitOnce(std::string_view text, char sep) {
  const std::size_t at = text.find(sep);
  if (at == std::string_view::npos) return {text, {}};
  return {text.substr(0, at), text.substr(at + 1)};
}

// Calls fn(segment) for every '/'-separated segment, keeping empty ones.
template <typename Fn>
void ForEachSegment(std::string_view path, Fn&& fn) {
  std::size_t start = 0;
  while (true) {
    const std::size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) {
      fn(path.substr(start));
      return;
    }
    fn(path.substr(start, slash - start));
    start = slash + 1;
  }
}

// RFC 3986 section 5.2.4 as SDKs apply it: drop empty and "." segments, let
// ".." remove its predecessor, keep a trailing slash.
void AppendNormalizedPath(std::string_view path, std::string& out) {
  std::vector<std::string_view> segments;
  ForEachSegment(path, [&](std::string_view segment) {
    if (segment.empty() || segment == ".") return;
    if (segment == "..") {
      if (!segments.empty()) segments.pop_back();
      return;
    }
    segments.push_back(segment);
  });
  out += '/';
  for (std::size_t i = 0; i < segments.size(); ++i) {
    if (i > 0) out += '/';
    AppendUriEncoded(segments[i], /*keep_slash=*/false, out);
  }
  if (!segments.empty() && path.back() == '/') out += '/';
}

void AppendCanonicalPath(std::string_view path, const CanonicalOptions& options, std::string& out) {
  std::string decoded;
  if (!options.double_encode_path) {
    decoded = UriDecode(path);
    path = decoded;
  }
  if (path.empty()) {
    out += '/';
  } else if (options.normalize_path) {
    AppendNormalizedPath(path, out);
  } else {
    AppendUriEncoded(path, /*keep_slash=*/true, out);
  }
}

struct QueryParam {
  std::string key;    // encoded
  std::string value;  // encoded
};

void AppendCanonicalQuery(std::string_view query, const CanonicalOptions& options, std::string& out) {
  std::vector<QueryParam> params;
  std::size_t start = 0;
  while (start < query.size()) {
    std::size_t amp = query.find('&', start);
    if (amp == std::string_view::npos) amp = query.size();
    const std::string_view piece = query.substr(start, amp - start);
    start = amp + 1;
    if (piece.empty()) continue;
    const auto [raw_key, raw_value] = SplitOnce(piece, '=');
    QueryParam param;
    const std::string key = UriDecode(raw_key);
    if (options.skip_signature_param && key == "X-Amz-Signature") continue;
    AppendUriEncoded(key, /*keep_slash=*/false, param.key);
    AppendUriEncoded(UriDecode(raw_value), /*keep_slash=*/false, param.value);
    params.push_back(std::move(param));
  }
  std::sort(params.begin(), params.end(), [](const QueryParam& a, const QueryParam& b) {
    return a.key != b.key ? a.key < b.key : a.value < b.value;
  });
  for (std::size_t i = 0; i < params.size(); ++i) {
    if (i > 0) out += '&';
    out += params[i].key;
    out += '=';
    out += params[i].value;
  }
}

// Trims the value and turns every run of whitespace (including the line
// breaks of an obs-fold continuation) into one space.
void AppendTrimmedValue(std::string_view value, std::string& out) {
  bool pending_space = false;
  bool any = false;
  for (const char c : value) {
    if (IsSpace(c)) {
      pending_space = any;
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    any = true;
    out += c;
  }
}

void AppendCanonicalHeaders(const HttpRequest& request, std::span<const std::string_view> signed_headers,
                            std::string& out) {
  for (const std::string_view name : signed_headers) {
    for (const char c : name) out += ToLower(c);
    out += ':';
    bool first = true;
    for (const auto& [header_name, header_value] : request.headers) {
      if (!EqualsIgnoreCase(header_name, name)) continue;
      if (!first) out += ',';
      first = false;
      AppendTrimmedValue(header_value, out);
    }
    out += '\n';
  }
}

}  // namespace

void AppendUriEncoded(std::string_view in, bool keep_slash, std::string& out) {
  for (const char ch : in) {
    const auto c = static_cast<unsigned char>(ch);
    if (IsUnreserved(c) || (keep_slash && c == '/')) {
      out += ch;
    } else {
      out += '%';
      out += kHexUpper[c >> 4];
      out += kHexUpper[c & 0xF];
    }
  }
}

std::string UriDecode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%' && i + 2 < in.size() && HexValue(in[i + 1]) >= 0 && HexValue(in[i + 2]) >= 0) {
      out += static_cast<char>(HexValue(in[i + 1]) * 16 + HexValue(in[i + 2]));
      i += 2;
    } else {
      out += in[i];
    }
  }
  return out;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (ToLower(a[i]) != ToLower(b[i])) return false;
  }
  return true;
}

std::string_view TargetPath(std::string_view target) { return SplitOnce(target, '?').first; }
std::string_view TargetQuery(std::string_view target) { return SplitOnce(target, '?').second; }

bool FindQueryParam(std::string_view query, std::string_view name, std::string& out_value) {
  std::size_t start = 0;
  while (start < query.size()) {
    std::size_t amp = query.find('&', start);
    if (amp == std::string_view::npos) amp = query.size();
    const auto [raw_key, raw_value] = SplitOnce(query.substr(start, amp - start), '=');
    start = amp + 1;
    const bool match =
        raw_key.find('%') == std::string_view::npos ? raw_key == name : UriDecode(raw_key) == name;
    if (match) {
      out_value = UriDecode(raw_value);
      return true;
    }
  }
  return false;
}

void AppendCanonicalRequest(const HttpRequest& request, std::span<const std::string_view> signed_headers,
                            std::string_view signed_headers_line, std::string_view payload_hash,
                            const CanonicalOptions& options, std::string& out) {
  out += request.method;
  out += '\n';
  AppendCanonicalPath(TargetPath(request.target), options, out);
  out += '\n';
  AppendCanonicalQuery(TargetQuery(request.target), options, out);
  out += '\n';
  AppendCanonicalHeaders(request, signed_headers, out);
  out += '\n';
  out += signed_headers_line;
  out += '\n';
  out += payload_hash;
}

void AppendStringToSign(std::string_view amz_date, std::string_view scope, std::string_view canonical_request,
                        std::string& out) {
  out += kAlgorithm;
  out += '\n';
  out += amz_date;
  out += '\n';
  out += scope;
  out += '\n';
  AppendHex(crypto::Sha256(AsBytes(canonical_request)), out);
}

crypto::Sha256Digest DeriveSigningKey(ByteView secret, std::string_view date, std::string_view region,
                                      std::string_view service) {
  SecretBytes k_secret(4 + secret.size());
  std::copy_n(AsBytes("AWS4").begin(), 4, k_secret.data());
  std::copy(secret.begin(), secret.end(), k_secret.data() + 4);
  crypto::Sha256Digest key = crypto::HmacSha256(k_secret.view(), AsBytes(date));
  key = crypto::HmacSha256(key, AsBytes(region));
  key = crypto::HmacSha256(key, AsBytes(service));
  key = crypto::HmacSha256(key, AsBytes(kScopeTerminator));
  return key;
}

void AppendSignature(ByteView signing_key, std::string_view string_to_sign, std::string& out) {
  crypto::Sha256Digest mac = crypto::HmacSha256(signing_key, AsBytes(string_to_sign));
  AppendHex(mac, out);
  SecureWipe(mac.data(), mac.size());
}

void AppendBodyHash(std::string_view body, std::string& out) {
  AppendHex(crypto::Sha256(AsBytes(body)), out);
}

}  // namespace internal

std::string CanonicalRequest(const HttpRequest& request, const std::vector<std::string>& signed_headers,
                             std::string_view payload_hash, bool normalize_path) {
  std::vector<std::string_view> names(signed_headers.begin(), signed_headers.end());
  std::string line;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) line += ';';
    line += names[i];
  }
  internal::CanonicalOptions options;
  options.normalize_path = normalize_path;
  std::string out;
  out.reserve(256 + request.target.size() + line.size() * 2);
  internal::AppendCanonicalRequest(request, names, line, payload_hash, options, out);
  return out;
}

std::string StringToSign(std::string_view amz_date, std::string_view scope,
                         std::string_view canonical_request) {
  std::string out;
  out.reserve(internal::kAlgorithm.size() + amz_date.size() + scope.size() + 68);
  internal::AppendStringToSign(amz_date, scope, canonical_request, out);
  return out;
}

}  // namespace coffer::auth
