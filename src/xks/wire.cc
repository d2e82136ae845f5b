#include "xks/wire.h"

#include <array>
#include <nlohmann/json.hpp>
#include <set>

#include "common/encoding.h"
#include "common/json_parse.h"
#include "common/json_writer.h"
#include "crypto/crypto.h"

namespace coffer::xks {
namespace {

using nlohmann::json;

struct ErrorRow {
  ErrorName name;
  std::string_view text;
  int http_status;
};

constexpr std::array<ErrorRow, 12> kErrors = {{
    {ErrorName::kValidation, "ValidationException", 400},
    {ErrorName::kInvalidState, "InvalidStateException", 400},
    {ErrorName::kInvalidCiphertext, "InvalidCiphertextException", 400},
    {ErrorName::kInvalidKeyUsage, "InvalidKeyUsageException", 400},
    {ErrorName::kAuthenticationFailed, "AuthenticationFailedException", 401},
    {ErrorName::kAccessDenied, "AccessDeniedException", 403},
    {ErrorName::kKeyNotFound, "KeyNotFoundException", 404},
    {ErrorName::kInvalidUriPath, "InvalidUriPathException", 404},
    {ErrorName::kThrottling, "ThrottlingException", 429},
    {ErrorName::kUnsupportedOperation, "UnsupportedOperationException", 501},
    {ErrorName::kDependencyTimeout, "DependencyTimeoutException", 503},
    {ErrorName::kInternal, "InternalException", 500},
}};

const ErrorRow& RowOf(ErrorName name) {
  for (const auto& row : kErrors) {
    if (row.name == name) return row;
  }
  return kErrors.back();
}

// Which side reads: a proxy reading a request answers ValidationException;
// a client reading an answer calls it an invalid response.
enum class Side { kRequest, kResponse };

Status Bad(Side side, std::string message) {
  if (side == Side::kRequest) return ValidationError(std::move(message));
  return InternalError("the XKS proxy's response is invalid: " + message);
}

// Reads one JSON object member by member, each with its check.
class Reader {
 public:
  Reader(const json& object, Side side, std::string_view where)
      : object_(object), side_(side), where_(where) {}

  StatusOr<std::optional<std::string>> OptionalString(std::string_view name, std::size_t max_chars) {
    const auto it = object_.find(name);
    if (it == object_.end() || it->is_null()) return std::optional<std::string>();
    if (!it->is_string()) return Bad(side_, Name(name) + " must be a string");
    std::string value = it->get<std::string>();
    if (value.size() > max_chars) {
      return Bad(side_, Name(name) + " must be at most " + std::to_string(max_chars) + " characters");
    }
    return std::optional<std::string>(std::move(value));
  }

  StatusOr<std::string> String(std::string_view name, std::size_t max_chars) {
    ASSIGN_OR_RETURN(auto value, OptionalString(name, max_chars));
    if (!value || value->empty()) return Bad(side_, Name(name) + " is required");
    return std::move(*value);
  }

  // Base64 member decoded; nullopt when absent.
  StatusOr<std::optional<Bytes>> OptionalBase64(std::string_view name) {
    ASSIGN_OR_RETURN(auto text, OptionalString(name, 1 << 20));
    if (!text) return std::optional<Bytes>();
    std::optional<Bytes> bytes = Base64Decode(*text);
    SecureWipe(text->data(), text->size());
    if (!bytes) return Bad(side_, Name(name) + " is not valid Base64");
    return bytes;
  }

  StatusOr<Bytes> Base64(std::string_view name) {
    ASSIGN_OR_RETURN(auto bytes, OptionalBase64(name));
    if (!bytes) return Bad(side_, Name(name) + " is required");
    return std::move(*bytes);
  }

  // Members other than `known` are refused (top level of a request only).
  Status OnlyMembers(std::initializer_list<std::string_view> known) {
    const std::set<std::string_view> allowed(known);
    for (const auto& [name, value] : object_.items()) {
      if (!allowed.contains(name)) return Bad(side_, "unknown member " + Quoted(name));
    }
    return Status::Ok();
  }

 private:
  std::string Name(std::string_view name) const {
    return where_.empty() ? Quoted(name) : Quoted(std::string(where_) + "." + std::string(name));
  }
  static std::string Quoted(std::string_view name) { return "'" + std::string(name) + "'"; }

  const json& object_;
  Side side_;
  std::string_view where_;
};

StatusOr<json> ParseObject(std::string_view body, Side side) {
  std::optional<json> parsed = ParseJson(body);
  if (!parsed || !parsed->is_object()) return Bad(side, "the body must be a JSON object");
  return std::move(*parsed);
}

Status TooLarge(std::string_view name, std::size_t max) {
  return Status(ErrorCode::kUnsupportedOperation,
                "'" + std::string(name) + "' exceeds " + std::to_string(max) + " bytes");
}

enum class MetadataKind { kKeyMetadata, kCrypto };

StatusOr<RequestMetadata> ReadMetadata(const json& body, MetadataKind kind) {
  const auto it = body.find("requestMetadata");
  if (it == body.end() || !it->is_object()) return ValidationError("'requestMetadata' must be an object");
  Reader r(*it, Side::kRequest, "requestMetadata");
  RequestMetadata m;
  ASSIGN_OR_RETURN(m.aws_principal_arn, r.String("awsPrincipalArn", kMaxArnChars));
  ASSIGN_OR_RETURN(m.kms_operation, r.String("kmsOperation", 128));
  ASSIGN_OR_RETURN(m.kms_request_id, r.String("kmsRequestId", 256));
  if (kind == MetadataKind::kCrypto) {
    ASSIGN_OR_RETURN(m.kms_key_arn, r.String("kmsKeyArn", kMaxArnChars));
  } else {
    ASSIGN_OR_RETURN(auto arn, r.OptionalString("kmsKeyArn", kMaxArnChars));
    m.kms_key_arn = arn.value_or("");
  }
  ASSIGN_OR_RETURN(auto vpc, r.OptionalString("awsSourceVpc", 256));
  ASSIGN_OR_RETURN(auto vpce, r.OptionalString("awsSourceVpce", 256));
  ASSIGN_OR_RETURN(auto via, r.OptionalString("kmsViaService", 256));
  m.aws_source_vpc = vpc.value_or("");
  m.aws_source_vpce = vpce.value_or("");
  m.kms_via_service = via.value_or("");
  return m;
}

json MetadataJson(const RequestMetadata& m) {
  json out = {{"awsPrincipalArn", m.aws_principal_arn},
              {"kmsOperation", m.kms_operation},
              {"kmsRequestId", m.kms_request_id}};
  if (!m.kms_key_arn.empty()) out["kmsKeyArn"] = m.kms_key_arn;
  if (!m.aws_source_vpc.empty()) out["awsSourceVpc"] = m.aws_source_vpc;
  if (!m.aws_source_vpce.empty()) out["awsSourceVpce"] = m.aws_source_vpce;
  if (!m.kms_via_service.empty()) out["kmsViaService"] = m.kms_via_service;
  return out;
}

Status CheckAlgorithm(Reader& r) {
  ASSIGN_OR_RETURN(std::string algorithm, r.String("encryptionAlgorithm", 64));
  if (algorithm != "AES_GCM") return ValidationError("'encryptionAlgorithm' must be AES_GCM");
  return Status::Ok();
}

StatusOr<std::optional<Bytes>> ReadAad(Reader& r) {
  ASSIGN_OR_RETURN(auto aad, r.OptionalBase64("additionalAuthenticatedData"));
  if (aad && aad->size() > kMaxAadBytes) return TooLarge("additionalAuthenticatedData", kMaxAadBytes);
  return aad;
}

Status CheckIv(const Bytes& iv, Side side) {
  if (iv.size() == 12 || iv.size() == 16) return Status::Ok();
  return Bad(side, "'initializationVector' must be 12 or 16 bytes");
}

Status CheckTag(const Bytes& tag, Side side) {
  if (tag.size() == kTagBytes) return Status::Ok();
  return Bad(side, "'authenticationTag' must be 16 bytes");
}

Status CheckCiphertextMetadata(const Bytes& metadata, Side side) {
  if (metadata.size() <= kMaxCiphertextMetadataBytes) return Status::Ok();
  return Bad(side, "'ciphertextMetadata' must be at most 20 bytes");
}

}  // namespace

std::string_view ErrorNameText(ErrorName name) { return RowOf(name).text; }
int ErrorHttpStatus(ErrorName name) { return RowOf(name).http_status; }

std::optional<ErrorName> ParseErrorName(std::string_view text) {
  for (const auto& row : kErrors) {
    if (row.text == text) return row.name;
  }
  return std::nullopt;
}

std::string EncodeError(const ProxyError& error) {
  std::string message;
  for (char c : error.message) {
    if (message.size() == 511) break;
    message.push_back(c >= 0x20 && c <= 0x7e ? c : '?');
  }
  json out = {{"errorName", ErrorNameText(error.name)}};
  if (!message.empty()) out["errorMessage"] = message;
  return WriteJson(out);
}

StatusOr<ProxyError> DecodeError(std::string_view body) {
  ASSIGN_OR_RETURN(json object, ParseObject(body, Side::kResponse));
  Reader r(object, Side::kResponse, "");
  ASSIGN_OR_RETURN(std::string name, r.String("errorName", 128));
  ASSIGN_OR_RETURN(auto message, r.OptionalString("errorMessage", 4096));
  std::optional<ErrorName> known = ParseErrorName(name);
  if (!known) return Bad(Side::kResponse, "unknown errorName");
  return ProxyError{*known, message.value_or("")};
}

std::string EncodeMetadataRequest(const MetadataRequest& request) {
  return WriteJson(json{{"requestMetadata", MetadataJson(request.metadata)}});
}

std::string EncodeEncryptRequest(const EncryptRequest& request) {
  json out = {{"requestMetadata", MetadataJson(request.metadata)},
              {"plaintext", Base64Encode(request.plaintext.view())},
              {"encryptionAlgorithm", "AES_GCM"}};
  if (request.aad) out["additionalAuthenticatedData"] = Base64Encode(*request.aad);
  if (request.want_integrity_value) out["ciphertextDataIntegrityValueAlgorithm"] = "SHA_256";
  std::string text = WriteJson(out);
  SecureWipe(out["plaintext"].get_ref<std::string&>().data(),
             out["plaintext"].get_ref<std::string&>().size());
  return text;
}

std::string EncodeDecryptRequest(const DecryptRequest& request) {
  json out = {{"requestMetadata", MetadataJson(request.metadata)},
              {"ciphertext", Base64Encode(request.ciphertext)},
              {"encryptionAlgorithm", "AES_GCM"},
              {"initializationVector", Base64Encode(request.iv)},
              {"authenticationTag", Base64Encode(request.tag)}};
  if (request.aad) out["additionalAuthenticatedData"] = Base64Encode(*request.aad);
  if (!request.ciphertext_metadata.empty())
    out["ciphertextMetadata"] = Base64Encode(request.ciphertext_metadata);
  return WriteJson(out);
}

std::string EncodeHealthRequest(const HealthRequest& request) {
  return WriteJson(
      json{{"requestMetadata",
            {{"kmsRequestId", request.kms_request_id}, {"kmsOperation", request.kms_operation}}}});
}

StatusOr<MetadataRequest> DecodeMetadataRequest(std::string_view body) {
  ASSIGN_OR_RETURN(json object, ParseObject(body, Side::kRequest));
  RETURN_IF_ERROR(Reader(object, Side::kRequest, "").OnlyMembers({"requestMetadata"}));
  MetadataRequest out;
  ASSIGN_OR_RETURN(out.metadata, ReadMetadata(object, MetadataKind::kKeyMetadata));
  return out;
}

StatusOr<EncryptRequest> DecodeEncryptRequest(std::string_view body) {
  ASSIGN_OR_RETURN(json object, ParseObject(body, Side::kRequest));
  Reader r(object, Side::kRequest, "");
  RETURN_IF_ERROR(r.OnlyMembers({"requestMetadata", "plaintext", "encryptionAlgorithm",
                                 "additionalAuthenticatedData", "ciphertextDataIntegrityValueAlgorithm"}));
  EncryptRequest out;
  ASSIGN_OR_RETURN(out.metadata, ReadMetadata(object, MetadataKind::kCrypto));
  RETURN_IF_ERROR(CheckAlgorithm(r));
  ASSIGN_OR_RETURN(auto cdiv, r.OptionalString("ciphertextDataIntegrityValueAlgorithm", 64));
  if (cdiv && *cdiv != "SHA_256") {
    return ValidationError("'ciphertextDataIntegrityValueAlgorithm' must be SHA_256");
  }
  out.want_integrity_value = cdiv.has_value();
  ASSIGN_OR_RETURN(out.aad, ReadAad(r));
  ASSIGN_OR_RETURN(Bytes plaintext, r.Base64("plaintext"));
  out.plaintext = SecretBytes(plaintext);
  SecureWipe(plaintext.data(), plaintext.size());
  if (out.plaintext.size() > kMaxPlaintextBytes) return TooLarge("plaintext", kMaxPlaintextBytes);
  return out;
}

StatusOr<DecryptRequest> DecodeDecryptRequest(std::string_view body) {
  ASSIGN_OR_RETURN(json object, ParseObject(body, Side::kRequest));
  Reader r(object, Side::kRequest, "");
  RETURN_IF_ERROR(
      r.OnlyMembers({"requestMetadata", "ciphertext", "ciphertextMetadata", "encryptionAlgorithm",
                     "additionalAuthenticatedData", "initializationVector", "authenticationTag"}));
  DecryptRequest out;
  ASSIGN_OR_RETURN(out.metadata, ReadMetadata(object, MetadataKind::kCrypto));
  RETURN_IF_ERROR(CheckAlgorithm(r));
  ASSIGN_OR_RETURN(out.aad, ReadAad(r));
  ASSIGN_OR_RETURN(out.ciphertext, r.Base64("ciphertext"));
  if (out.ciphertext.size() > kMaxPlaintextBytes) return TooLarge("ciphertext", kMaxPlaintextBytes);
  ASSIGN_OR_RETURN(auto metadata, r.OptionalBase64("ciphertextMetadata"));
  out.ciphertext_metadata = metadata.value_or(Bytes{});
  RETURN_IF_ERROR(CheckCiphertextMetadata(out.ciphertext_metadata, Side::kRequest));
  ASSIGN_OR_RETURN(out.iv, r.Base64("initializationVector"));
  RETURN_IF_ERROR(CheckIv(out.iv, Side::kRequest));
  ASSIGN_OR_RETURN(out.tag, r.Base64("authenticationTag"));
  RETURN_IF_ERROR(CheckTag(out.tag, Side::kRequest));
  return out;
}

StatusOr<HealthRequest> DecodeHealthRequest(std::string_view body) {
  ASSIGN_OR_RETURN(json object, ParseObject(body, Side::kRequest));
  RETURN_IF_ERROR(Reader(object, Side::kRequest, "").OnlyMembers({"requestMetadata"}));
  const auto it = object.find("requestMetadata");
  if (it == object.end() || !it->is_object()) return ValidationError("'requestMetadata' must be an object");
  Reader r(*it, Side::kRequest, "requestMetadata");
  HealthRequest out;
  ASSIGN_OR_RETURN(out.kms_request_id, r.String("kmsRequestId", 256));
  ASSIGN_OR_RETURN(out.kms_operation, r.String("kmsOperation", 128));
  return out;
}

std::string EncodeKeyMetadata(const KeyMetadata& metadata) {
  return WriteJson(json{
      {"keySpec", metadata.key_spec}, {"keyUsage", metadata.key_usage}, {"keyStatus", metadata.key_status}});
}

std::string EncodeEncryptResponse(const EncryptResponse& response) {
  json out = {{"ciphertext", Base64Encode(response.ciphertext)},
              {"initializationVector", Base64Encode(response.iv)},
              {"authenticationTag", Base64Encode(response.tag)}};
  if (!response.ciphertext_metadata.empty())
    out["ciphertextMetadata"] = Base64Encode(response.ciphertext_metadata);
  if (!response.integrity_value.empty()) {
    out["ciphertextDataIntegrityValue"] = Base64Encode(response.integrity_value);
  }
  return WriteJson(out);
}

std::string EncodeDecryptResponse(ByteView plaintext) {
  json out = {{"plaintext", Base64Encode(plaintext)}};
  std::string text = WriteJson(out);
  auto& encoded = out["plaintext"].get_ref<std::string&>();
  SecureWipe(encoded.data(), encoded.size());
  return text;
}

std::string EncodeHealthStatus(const HealthStatus& health) {
  json fleet = json::array();
  for (const auto& ekm : health.ekm_fleet) {
    fleet.push_back({{"id", ekm.id}, {"model", ekm.model}, {"healthStatus", ekm.health_status}});
  }
  return WriteJson(json{{"xksProxyFleetSize", health.proxy_fleet_size},
                        {"xksProxyVendor", health.proxy_vendor},
                        {"xksProxyModel", health.proxy_model},
                        {"ekmVendor", health.ekm_vendor},
                        {"ekmFleetDetails", fleet}});
}

StatusOr<KeyMetadata> DecodeKeyMetadata(std::string_view body) {
  ASSIGN_OR_RETURN(json object, ParseObject(body, Side::kResponse));
  Reader r(object, Side::kResponse, "");
  KeyMetadata out;
  ASSIGN_OR_RETURN(out.key_spec, r.String("keySpec", 64));
  ASSIGN_OR_RETURN(out.key_status, r.String("keyStatus", 64));
  const auto usage = object.find("keyUsage");
  if (usage == object.end() || !usage->is_array() || usage->size() > 10) {
    return Bad(Side::kResponse, "'keyUsage' must be an array of at most 10 strings");
  }
  for (const auto& value : *usage) {
    if (!value.is_string()) return Bad(Side::kResponse, "'keyUsage' must be an array of at most 10 strings");
    out.key_usage.push_back(value.get<std::string>());
  }
  return out;
}

StatusOr<EncryptResponse> DecodeEncryptResponse(std::string_view body, std::size_t plaintext_len) {
  ASSIGN_OR_RETURN(json object, ParseObject(body, Side::kResponse));
  Reader r(object, Side::kResponse, "");
  EncryptResponse out;
  ASSIGN_OR_RETURN(out.ciphertext, r.Base64("ciphertext"));
  if (out.ciphertext.size() != plaintext_len) {
    return Bad(Side::kResponse, "'ciphertext' is not as long as the plaintext");
  }
  ASSIGN_OR_RETURN(auto metadata, r.OptionalBase64("ciphertextMetadata"));
  out.ciphertext_metadata = metadata.value_or(Bytes{});
  RETURN_IF_ERROR(CheckCiphertextMetadata(out.ciphertext_metadata, Side::kResponse));
  ASSIGN_OR_RETURN(out.iv, r.Base64("initializationVector"));
  RETURN_IF_ERROR(CheckIv(out.iv, Side::kResponse));
  ASSIGN_OR_RETURN(out.tag, r.Base64("authenticationTag"));
  RETURN_IF_ERROR(CheckTag(out.tag, Side::kResponse));
  ASSIGN_OR_RETURN(auto integrity, r.OptionalBase64("ciphertextDataIntegrityValue"));
  out.integrity_value = integrity.value_or(Bytes{});
  return out;
}

StatusOr<SecretBytes> DecodeDecryptResponse(std::string_view body, std::size_t ciphertext_len) {
  ASSIGN_OR_RETURN(json object, ParseObject(body, Side::kResponse));
  Reader r(object, Side::kResponse, "");
  ASSIGN_OR_RETURN(Bytes plaintext, r.Base64("plaintext"));
  SecretBytes out(plaintext);
  SecureWipe(plaintext.data(), plaintext.size());
  auto& encoded = object["plaintext"].get_ref<std::string&>();
  SecureWipe(encoded.data(), encoded.size());
  if (out.size() != ciphertext_len)
    return Bad(Side::kResponse, "'plaintext' is not as long as the ciphertext");
  return out;
}

StatusOr<HealthStatus> DecodeHealthStatus(std::string_view body) {
  ASSIGN_OR_RETURN(json object, ParseObject(body, Side::kResponse));
  Reader r(object, Side::kResponse, "");
  HealthStatus out;
  const auto size = object.find("xksProxyFleetSize");
  if (size == object.end() || !size->is_number_integer() || size->get<std::int64_t>() < 1) {
    return Bad(Side::kResponse, "'xksProxyFleetSize' must be a positive integer");
  }
  out.proxy_fleet_size = static_cast<int>(std::min<std::int64_t>(size->get<std::int64_t>(), 1 << 20));
  ASSIGN_OR_RETURN(out.proxy_vendor, r.String("xksProxyVendor", 512));
  ASSIGN_OR_RETURN(out.proxy_model, r.String("xksProxyModel", 512));
  ASSIGN_OR_RETURN(out.ekm_vendor, r.String("ekmVendor", 512));
  const auto fleet = object.find("ekmFleetDetails");
  if (fleet == object.end() || !fleet->is_array() || fleet->empty() || fleet->size() > 10) {
    return Bad(Side::kResponse, "'ekmFleetDetails' must hold 1 to 10 entries");
  }
  for (const auto& entry : *fleet) {
    if (!entry.is_object()) return Bad(Side::kResponse, "'ekmFleetDetails' entries must be objects");
    Reader e(entry, Side::kResponse, "ekmFleetDetails");
    EkmDetail detail;
    ASSIGN_OR_RETURN(detail.id, e.String("id", 512));
    ASSIGN_OR_RETURN(detail.model, e.String("model", 512));
    ASSIGN_OR_RETURN(detail.health_status, e.String("healthStatus", 64));
    if (detail.health_status != "ACTIVE" && detail.health_status != "DEGRADED" &&
        detail.health_status != "UNAVAILABLE") {
      return Bad(Side::kResponse, "'healthStatus' must be ACTIVE, DEGRADED or UNAVAILABLE");
    }
    out.ekm_fleet.push_back(std::move(detail));
  }
  return out;
}

Bytes GcmAad(const std::optional<Bytes>& aad, ByteView ciphertext_metadata) {
  const std::size_t aad_len = aad ? aad->size() : 0;
  Bytes out;
  out.reserve(3 + aad_len + ciphertext_metadata.size());
  out.push_back(static_cast<std::uint8_t>(aad_len >> 8));
  out.push_back(static_cast<std::uint8_t>(aad_len));
  if (aad) out.insert(out.end(), aad->begin(), aad->end());
  out.push_back(static_cast<std::uint8_t>(ciphertext_metadata.size()));
  out.insert(out.end(), ciphertext_metadata.begin(), ciphertext_metadata.end());
  return out;
}

Bytes IntegrityValue(const std::optional<Bytes>& aad, const EncryptResponse& response) {
  crypto::Sha256Hasher hasher;
  if (aad) hasher.Update(*aad);
  hasher.Update(response.ciphertext_metadata);
  hasher.Update(response.iv);
  hasher.Update(response.ciphertext);
  hasher.Update(response.tag);
  const crypto::Sha256Digest digest = hasher.Final();
  return Bytes(digest.begin(), digest.end());
}

bool IsValidExternalKeyId(std::string_view id) {
  if (id.empty() || id.size() > kMaxExternalKeyIdChars) return false;
  for (char c : id) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                    c == '.' || c == '_';
    if (!ok) return false;
  }
  return true;
}

}  // namespace coffer::xks
