// SigV4 signing (client side): Coffer's own clients, tests, load generators.
// Mirrors the verifier's choices (payload hash, path encoding) exactly.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "auth/canonical.h"
#include "auth/sigv4.h"
#include "auth/sigv4_params.h"

namespace coffer::auth {
namespace {

bool IsS3(std::string_view service) { return service == "s3"; }

bool HasHeader(const HttpRequest& request, std::string_view name) {
  return std::any_of(request.headers.begin(), request.headers.end(),
                     [name](const Header& h) { return internal::EqualsIgnoreCase(h.first, name); });
}

void SetHeader(HttpRequest& request, std::string_view name, std::string value) {
  std::erase_if(request.headers,
                [name](const Header& h) { return internal::EqualsIgnoreCase(h.first, name); });
  request.headers.emplace_back(std::string(name), std::move(value));
}

Status ValidateParams(const HttpRequest& request, const SigningParams& params) {
  for (const std::string* part : {&params.access_key_id, &params.region, &params.service}) {
    if (part->empty() || part->find('/') != std::string::npos) {
      return ValidationError(
          "SigV4 signing: access key id, region and service must be non-empty and contain no '/'");
    }
  }
  if (!HasHeader(request, "host")) return ValidationError("SigV4 signing: the request has no Host header");
  return Status::Ok();
}

// Every header present, lower-cased, sorted, once each.
std::vector<std::string> SignedHeaderNames(const HttpRequest& request) {
  std::vector<std::string> names;
  names.reserve(request.headers.size());
  for (const auto& header : request.headers) {
    std::string name = header.first;
    std::transform(name.begin(), name.end(), name.begin(),
                   [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; });
    if (name != "authorization") names.push_back(std::move(name));
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

std::string JoinNames(const std::vector<std::string>& names) {
  std::string line;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) line += ';';
    line += names[i];
  }
  return line;
}

// See PayloadHash in sigv4.cc: the body hash, except S3's claimed value or
// UNSIGNED-PAYLOAD.
std::string SignerPayloadHash(const HttpRequest& request, std::string_view service, bool presigned) {
  if (IsS3(service)) {
    for (const auto& [name, value] : request.headers) {
      if (internal::EqualsIgnoreCase(name, "x-amz-content-sha256")) return value;
    }
    if (presigned) return std::string(internal::kUnsignedPayload);
  }
  std::string hash;
  internal::AppendBodyHash(request.body, hash);
  return hash;
}

// Signature over the request as it stands, with every header signed.
std::string ComputeSignature(const HttpRequest& request, const SigningParams& params,
                             const std::vector<std::string>& names, std::string_view amz_date,
                             std::string_view scope, bool presigned) {
  const std::vector<std::string_view> views(names.begin(), names.end());
  internal::CanonicalOptions options;
  options.normalize_path = params.normalize_path && !IsS3(params.service);
  options.double_encode_path = !IsS3(params.service);
  std::string canonical;
  internal::AppendCanonicalRequest(request, views, JoinNames(names),
                                   SignerPayloadHash(request, params.service, presigned), options, canonical);
  std::string string_to_sign;
  internal::AppendStringToSign(amz_date, scope, canonical, string_to_sign);
  crypto::Sha256Digest key = internal::DeriveSigningKey(AsBytes(params.secret_access_key),
                                                        amz_date.substr(0, 8), params.region, params.service);
  std::string signature;
  internal::AppendSignature(key, string_to_sign, signature);
  SecureWipe(key.data(), key.size());
  return signature;
}

std::string Scope(std::string_view amz_date, const SigningParams& params) {
  std::string scope(amz_date.substr(0, 8));
  scope.append("/").append(params.region).append("/").append(params.service).append("/");
  scope.append(internal::kScopeTerminator);
  return scope;
}

void AppendQueryParam(std::string& target, std::string_view name, std::string_view value) {
  const std::size_t question = target.find('?');
  if (question == std::string::npos) {
    target += '?';
  } else if (question + 1 != target.size()) {
    target += '&';
  }
  target += name;
  target += '=';
  internal::AppendUriEncoded(value, /*keep_slash=*/false, target);
}

}  // namespace

Status SignRequest(HttpRequest& request, const SigningParams& params) {
  RETURN_IF_ERROR(ValidateParams(request, params));
  const std::string amz_date = internal::FormatAmzDate(params.time);
  const std::string scope = Scope(amz_date, params);
  std::erase_if(request.headers,
                [](const Header& h) { return internal::EqualsIgnoreCase(h.first, "authorization"); });
  SetHeader(request, "X-Amz-Date", amz_date);
  if (!params.session_token.empty()) SetHeader(request, "X-Amz-Security-Token", params.session_token);
  const std::vector<std::string> names = SignedHeaderNames(request);
  const std::string signature =
      ComputeSignature(request, params, names, amz_date, scope, /*presigned=*/false);
  std::string authorization(internal::kAlgorithm);
  authorization.append(" Credential=").append(params.access_key_id).append("/").append(scope);
  authorization.append(", SignedHeaders=").append(JoinNames(names));
  authorization.append(", Signature=").append(signature);
  request.headers.emplace_back("Authorization", std::move(authorization));
  return Status::Ok();
}

Status PresignRequest(HttpRequest& request, const SigningParams& params, std::chrono::seconds expires) {
  RETURN_IF_ERROR(ValidateParams(request, params));
  if (expires.count() < 0 || expires.count() > 604800) {
    return ValidationError("SigV4 presigning: expires must be within [0, 604800] seconds");
  }
  const std::string amz_date = internal::FormatAmzDate(params.time);
  const std::string scope = Scope(amz_date, params);
  const std::vector<std::string> names = SignedHeaderNames(request);
  AppendQueryParam(request.target, "X-Amz-Algorithm", internal::kAlgorithm);
  AppendQueryParam(request.target, "X-Amz-Credential", params.access_key_id + "/" + scope);
  AppendQueryParam(request.target, "X-Amz-Date", amz_date);
  AppendQueryParam(request.target, "X-Amz-SignedHeaders", JoinNames(names));
  AppendQueryParam(request.target, "X-Amz-Expires", std::to_string(expires.count()));
  if (!params.session_token.empty()) {
    AppendQueryParam(request.target, "X-Amz-Security-Token", params.session_token);
  }
  const std::string signature = ComputeSignature(request, params, names, amz_date, scope, /*presigned=*/true);
  AppendQueryParam(request.target, "X-Amz-Signature", signature);
  return Status::Ok();
}

}  // namespace coffer::auth
