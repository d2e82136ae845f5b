#include "kms/service_client.h"

#include "common/encoding.h"
#include "kms/ops/ops.h"

namespace coffer::kms {
namespace {

RequestContext ContextFor(const ViaService& via, std::string_view action, const Json& request) {
  RequestContext ctx{via.account, via.region, via.principal_arn, std::string(action)};
  ctx.who = via.who;
  ctx.request = &request;
  ctx.via_service = via.service + "." + via.region + ".amazonaws.com";
  return ctx;
}

// Runs a hot-path operation (which answers JSON text) and reads its answer;
// the text, which may hold plaintext, is wiped.
StatusOr<Json> CallOp(ViewOperationFn op, KmsService& kms, const RequestContext& ctx, const Json& request) {
  StatusOr<std::string> text = op(kms, ctx, request);
  if (!text.ok()) return text.status();
  Json response = Json::parse(*text, nullptr, /*allow_exceptions=*/false);
  SecureWipe(text->data(), text->size());
  if (response.is_discarded()) return InternalError("KMS answered malformed JSON");
  return response;
}

Json ContextJson(const EncryptionContext& context) {
  Json out = Json::object();
  for (const auto& [k, v] : context) out[k] = v;
  return out;
}

// The operations answer base64 text; the decoded copy becomes SecretBytes
// and both transient copies are wiped.
StatusOr<SecretBytes> TakePlaintext(Json& response) {
  auto it = response.find("Plaintext");
  if (it == response.end() || !it->is_string()) return InternalError("KMS answered without plaintext");
  std::string& text = it->get_ref<std::string&>();
  std::optional<Bytes> raw = Base64Decode(text);
  SecureWipe(text.data(), text.size());
  if (!raw) return InternalError("KMS answered malformed plaintext");
  SecretBytes out(*raw);
  SecureWipe(raw->data(), raw->size());
  return out;
}

StatusOr<Bytes> TakeBlob(const Json& response) {
  auto it = response.find("CiphertextBlob");
  if (it == response.end() || !it->is_string()) return InternalError("KMS answered without a ciphertext");
  std::optional<Bytes> blob = Base64Decode(it->get<std::string>());
  if (!blob) return InternalError("KMS answered a malformed ciphertext");
  return std::move(*blob);
}

}  // namespace

StatusOr<ServiceDataKey> ServiceKms::GenerateDataKey(const ViaService& via, std::string_view key_id,
                                                     const EncryptionContext& context) {
  const Json request = {
      {"KeyId", std::string(key_id)}, {"KeySpec", "AES_256"}, {"EncryptionContext", ContextJson(context)}};
  ASSIGN_OR_RETURN(Json response, CallOp(&ops::GenerateDataKey, kms_,
                                         ContextFor(via, "kms:GenerateDataKey", request), request));
  ServiceDataKey out;
  ASSIGN_OR_RETURN(out.plaintext, TakePlaintext(response));
  ASSIGN_OR_RETURN(out.ciphertext_blob, TakeBlob(response));
  out.key_arn = response.value("KeyId", "");
  return out;
}

StatusOr<SecretBytes> ServiceKms::Decrypt(const ViaService& via, ByteView blob,
                                          const EncryptionContext& context, std::string_view key_id) {
  Json request = {{"CiphertextBlob", Base64Encode(blob)}, {"EncryptionContext", ContextJson(context)}};
  if (!key_id.empty()) request["KeyId"] = std::string(key_id);
  ASSIGN_OR_RETURN(Json response,
                   CallOp(&ops::Decrypt, kms_, ContextFor(via, "kms:Decrypt", request), request));
  return TakePlaintext(response);
}

StatusOr<Bytes> ServiceKms::Encrypt(const ViaService& via, std::string_view key_id,
                                    const EncryptionContext& context, ByteView plaintext) {
  if (plaintext.size() > 4096) return ValidationError("KMS Encrypt takes at most 4096 bytes of plaintext");
  Json request = {{"KeyId", std::string(key_id)},
                  {"Plaintext", Base64Encode(plaintext)},
                  {"EncryptionContext", ContextJson(context)}};
  auto response = CallOp(&ops::Encrypt, kms_, ContextFor(via, "kms:Encrypt", request), request);
  std::string& text = request["Plaintext"].get_ref<std::string&>();
  SecureWipe(text.data(), text.size());
  if (!response.ok()) return response.status();
  return TakeBlob(*response);
}

StatusOr<std::string> ServiceKms::DescribeKeyArn(const ViaService& via, std::string_view key_id) {
  const Json request = {{"KeyId", std::string(key_id)}};
  ASSIGN_OR_RETURN(auto key, kms_.Resolve(ContextFor(via, "kms:DescribeKey", request), key_id,
                                          KeyRefs::kAnyIncludingAlias));
  return key->record.Arn();
}

}  // namespace coffer::kms
