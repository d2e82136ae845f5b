// SigV4 verification (server side). Checks run in the order AWS reports them:
// structure, then time, then the key, then the signature.
#include "auth/sigv4.h"

#include <algorithm>
#include <cctype>
#include <string>
#include <utility>

#include "auth/aws_chunked.h"
#include "auth/canonical.h"
#include "auth/sigv4_params.h"
#include "crypto/crypto.h"

namespace coffer::auth {
namespace {

using internal::AuthParams;
using internal::CredentialScope;

constexpr std::string_view kMismatchMessage =
    "The request signature we calculated does not match the signature you provided. Check your AWS Secret "
    "Access Key and signing method. Consult the service documentation for details.";

Status Incomplete(std::string message) { return {ErrorCode::kIncompleteSignature, std::move(message)}; }
Status Expired(std::string message) { return {ErrorCode::kSignatureExpired, std::move(message)}; }

bool IsS3(std::string_view service) { return service == "s3"; }

// SignedHeaders as views; AWS requires Host (or HTTP/2 :authority) to be signed.
Status SplitSignedHeaders(std::string_view line, std::vector<std::string_view>& out) {
  bool has_host = false;
  while (true) {
    const std::size_t semi = line.find(';');
    const std::string_view name = line.substr(0, semi);
    has_host = has_host || internal::EqualsIgnoreCase(name, "host") || name == ":authority";
    out.push_back(name);
    if (semi == std::string_view::npos) break;
    line.remove_prefix(semi + 1);
  }
  if (!has_host)
    return Incomplete("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
  return Status::Ok();
}

std::string SkewText(std::chrono::seconds skew) {
  if (skew.count() % 60 == 0) return std::to_string(skew.count() / 60) + " min.";
  return std::to_string(skew.count()) + " sec.";
}

// AWS's wording: "Signature expired: 20130524T000000Z is now earlier than
// 20130524T001500Z (20130524T003000Z - 15 min.)".
Status CheckTime(const AuthParams& params, TimePoint request_time, std::string_view amz_date, TimePoint now,
                 std::chrono::seconds max_skew) {
  using internal::FormatAmzDate;
  now = std::chrono::floor<std::chrono::seconds>(now);
  const std::chrono::seconds past_window =
      params.presigned ? std::chrono::seconds(params.expires_seconds) : max_skew;
  if (request_time < now - past_window) {
    const std::string window =
        params.presigned ? std::to_string(past_window.count()) + " sec." : SkewText(max_skew);
    return Expired("Signature expired: " + std::string(amz_date) + " is now earlier than " +
                   FormatAmzDate(now - past_window) + " (" + FormatAmzDate(now) + " - " + window + ")");
  }
  if (request_time > now + max_skew) {
    return Expired("Signature not yet current: " + std::string(amz_date) + " is still later than " +
                   FormatAmzDate(now + max_skew) + " (" + FormatAmzDate(now) + " + " + SkewText(max_skew) +
                   ")");
  }
  return Status::Ok();
}

// The request time and its ISO 8601 basic text (what the string to sign holds).
Status ResolveDate(const AuthParams& params, TimePoint& out_time, std::string& out_amz_date) {
  if (!params.amz_date.empty() || params.http_date.empty()) {
    const std::optional<TimePoint> time = internal::ParseAmzDate(params.amz_date);
    if (!time) {
      return Incomplete("Date must be in ISO-8601 'basic format'. Got '" +
                        std::string(params.amz_date.substr(0, 64)) +
                        "'. See http://en.wikipedia.org/wiki/ISO_8601");
    }
    out_time = *time;
    out_amz_date = params.amz_date;
    return Status::Ok();
  }
  const std::optional<TimePoint> time = internal::ParseHttpDate(params.http_date);
  if (!time) {
    return Incomplete("Date must be in RFC 1123 format. Got '" + std::string(params.http_date.substr(0, 64)) +
                      "'.");
  }
  out_time = *time;
  out_amz_date = internal::FormatAmzDate(*time);
  return Status::Ok();
}

std::string_view FirstHeader(const HttpRequest& request, std::string_view name) {
  for (const auto& [header_name, value] : request.headers) {
    if (internal::EqualsIgnoreCase(header_name, name)) return value;
  }
  return {};
}

// Which payload hash the signer used. Every service but S3 signs the body
// itself, in the header form and in the presigned form alike (botocore's
// SigV4QueryAuth and aws-c-auth both do; the oracle suite expects it), so the
// hash is computed from the received body and a client-sent
// x-amz-content-sha256 can never vouch for a body that was not sent. Only S3
// signs that header's value, which may be UNSIGNED-PAYLOAD (the default for
// presigned S3 URLs); a hex value must then match the body.
Status PayloadHash(const HttpRequest& request, std::string_view service, bool presigned, std::string& out) {
  if (IsS3(service)) {
    const std::string_view claimed = FirstHeader(request, "x-amz-content-sha256");
    if (claimed == internal::kUnsignedPayload || (claimed.empty() && presigned)) {
      out = internal::kUnsignedPayload;
      return Status::Ok();
    }
    internal::AppendBodyHash(request.body, out);
    if (!claimed.empty() && claimed != out) {
      return {ErrorCode::kInvalidSignature,
              "The provided 'x-amz-content-sha256' header does not match what was computed."};
    }
    return Status::Ok();
  }
  internal::AppendBodyHash(request.body, out);
  return Status::Ok();
}

bool IsHexSha256(std::string_view text) {
  return text.size() == 2 * crypto::kSha256Len && std::all_of(text.begin(), text.end(), [](char c) {
           return std::isxdigit(static_cast<unsigned char>(c));
         });
}

// The payload hash when the body has not arrived: what the client claims is
// signed as is, and the caller checks the body against it later. Only S3
// lets a client name its payload hash; other services sign the body itself.
Status ClaimedPayloadHash(const HttpRequest& request, std::string_view service, bool presigned,
                          std::string& out) {
  if (!IsS3(service)) {
    return ValidationError("Only S3 accepts a request body that follows its signature check.");
  }
  const std::string_view claimed = FirstHeader(request, "x-amz-content-sha256");
  if (claimed.empty()) {
    if (presigned) {
      out = internal::kUnsignedPayload;
      return Status::Ok();
    }
    return ValidationError("Missing required header for this request: x-amz-content-sha256")
        .Named("InvalidRequest");
  }
  if (claimed != internal::kUnsignedPayload && !StreamingModeFor(claimed) && !IsHexSha256(claimed)) {
    return ValidationError(
               "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, "
               "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, STREAMING-UNSIGNED-PAYLOAD-TRAILER or a valid "
               "sha256 value.")
        .Named("InvalidArgument");
  }
  out = claimed;
  return Status::Ok();
}

// The store's word on an access key id. Only an outage passes through as
// itself; any other failure means the key is not one we know.
Status MapSecretLookupError(const Status& status) {
  if (status.code() == ErrorCode::kInternal || status.code() == ErrorCode::kUnavailable) return status;
  return {ErrorCode::kUnrecognizedClient, "The security token included in the request is invalid."};
}

// 32 key bytes that wipe themselves.
struct SigningKey {
  crypto::Sha256Digest bytes{};
  SigningKey() = default;
  explicit SigningKey(const crypto::Sha256Digest& key) : bytes(key) {}
  SigningKey(const SigningKey&) = delete;
  SigningKey& operator=(const SigningKey&) = delete;
  ~SigningKey() { SecureWipe(bytes.data(), bytes.size()); }
};

// Buffers one io thread reuses for every signature it checks.
struct Scratch {
  std::vector<std::string_view> signed_headers;
  std::string amz_date;
  std::string canonical;
  std::string string_to_sign;
  std::string expected;
};

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

}  // namespace

// Keyed by "AKID/date/region/service" (the credential minus its terminator).
// The generation counter keeps a key fetched before a Forget() from being
// cached after it.
struct SigV4Verifier::Cache {
  std::mutex mu;
  std::uint64_t generation = 0;
  std::unordered_map<std::string, SigningKey, StringHash, std::equal_to<>> keys;

  bool Lookup(std::string_view cache_key, SigningKey& out_key, std::uint64_t& out_generation) {
    std::lock_guard<std::mutex> lock(mu);
    out_generation = generation;
    const auto it = keys.find(cache_key);
    if (it == keys.end()) return false;
    out_key.bytes = it->second.bytes;
    return true;
  }

  void Insert(std::string_view cache_key, std::uint64_t seen_generation, const SigningKey& key,
              std::size_t max_entries) {
    std::string owned_key(cache_key);
    std::lock_guard<std::mutex> lock(mu);
    if (seen_generation != generation || max_entries == 0) return;
    if (keys.size() >= max_entries) keys.erase(keys.begin());
    keys.try_emplace(std::move(owned_key), key.bytes);
  }
};

SigV4Verifier::SigV4Verifier(const Clock& clock, SecretKeySource& secrets, VerifierOptions options)
    : clock_(clock), secrets_(secrets), options_(options), cache_(std::make_unique<Cache>()) {}

SigV4Verifier::~SigV4Verifier() = default;

void SigV4Verifier::Forget(std::string_view access_key_id) {
  std::lock_guard<std::mutex> lock(cache_->mu);
  ++cache_->generation;
  std::erase_if(cache_->keys, [access_key_id](const auto& entry) {
    const std::string_view key = entry.first;
    return key.size() > access_key_id.size() && key.starts_with(access_key_id) &&
           key[access_key_id.size()] == '/';
  });
}

void SigV4Verifier::ForgetAll() {
  std::lock_guard<std::mutex> lock(cache_->mu);
  ++cache_->generation;
  cache_->keys.clear();
}

StatusOr<VerifiedIdentity> SigV4Verifier::Verify(const HttpRequest& request) {
  return Verify(request, VerifyOptions{});
}

StatusOr<VerifiedIdentity> SigV4Verifier::Verify(const HttpRequest& request, const VerifyOptions& verify) {
  AuthParams params;
  RETURN_IF_ERROR(internal::ExtractAuthParams(request, params));
  ASSIGN_OR_RETURN(const CredentialScope scope, internal::ParseCredential(params.credential));
  // Per-thread scratch whose capacity is kept from request to request: the
  // hot path of a signature check allocates nothing of its own.
  thread_local Scratch scratch;
  std::vector<std::string_view>& signed_headers = scratch.signed_headers;
  signed_headers.clear();
  RETURN_IF_ERROR(SplitSignedHeaders(params.signed_headers, signed_headers));

  TimePoint request_time;
  std::string& amz_date = scratch.amz_date;
  amz_date.clear();
  RETURN_IF_ERROR(ResolveDate(params, request_time, amz_date));
  RETURN_IF_ERROR(CheckTime(params, request_time, amz_date, clock_.Now(), options_.max_skew));
  if (scope.date != std::string_view(amz_date).substr(0, 8)) {
    return Status(
        ErrorCode::kInvalidSignature,
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '" +
            std::string(scope.date) + "' != '" + amz_date.substr(0, 8) + "', from '" + amz_date + "'.");
  }
  std::string payload_hash;
  RETURN_IF_ERROR(verify.body_follows
                      ? ClaimedPayloadHash(request, scope.service, params.presigned, payload_hash)
                      : PayloadHash(request, scope.service, params.presigned, payload_hash));

  SigningKey key;
  std::uint64_t generation = 0;
  const bool cached = cache_->Lookup(scope.cache_key, key, generation);
  if (!cached) {
    StatusOr<SecretBytes> secret = secrets_.SecretKeyFor(scope.access_key_id);
    if (!secret.ok()) return MapSecretLookupError(secret.status());
    key.bytes = internal::DeriveSigningKey(secret->view(), scope.date, scope.region, scope.service);
  }

  internal::CanonicalOptions options;
  options.normalize_path = !IsS3(scope.service);
  options.double_encode_path = !IsS3(scope.service);
  options.skip_signature_param = params.presigned;
  std::string& canonical = scratch.canonical;
  canonical.clear();
  internal::AppendCanonicalRequest(request, signed_headers, params.signed_headers, payload_hash, options,
                                   canonical);
  std::string& string_to_sign = scratch.string_to_sign;
  string_to_sign.clear();
  internal::AppendStringToSign(amz_date, scope.scope, canonical, string_to_sign);
  std::string& expected = scratch.expected;
  expected.clear();
  internal::AppendSignature(key.bytes, string_to_sign, expected);
  if (!ConstantTimeEquals(AsBytes(expected), AsBytes(params.signature))) {
    return Status(ErrorCode::kInvalidSignature, std::string(kMismatchMessage));
  }
  // Only keys that produced a valid signature are cached, so a caller who
  // knows an access key id but not its secret cannot churn the cache.
  if (!cached) cache_->Insert(scope.cache_key, generation, key, options_.max_cached_keys);

  VerifiedIdentity identity;
  identity.access_key_id = scope.access_key_id;
  identity.region = scope.region;
  identity.service = scope.service;
  identity.date = scope.date;
  identity.session_token = params.session_token;
  identity.session_token_signed =
      !params.session_token.empty() &&
      (params.presigned ||
       std::any_of(signed_headers.begin(), signed_headers.end(), [](std::string_view name) {
         return internal::EqualsIgnoreCase(name, "x-amz-security-token");
       }));
  identity.payload_hash = std::move(payload_hash);
  if (verify.body_follows) {
    // What an aws-chunked body's chunk signatures chain from: only a request
    // whose body follows (S3) can have chunks.
    identity.signature = params.signature;
    identity.amz_date = amz_date;
    identity.scope = scope.scope;
  }
  if (verify.want_signing_key) identity.signing_key = SecretBytes(key.bytes);
  return identity;
}

}  // namespace coffer::auth
