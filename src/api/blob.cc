#include "api/blob.h"

#include <string>
#include <string_view>
#include <utility>

#include "api/validator.h"
#include "common/encoding.h"

namespace coffer::api {
namespace {

Status CheckBlobValue(JsonView value, std::string_view* out_text) {
  if (!value.is_string()) return {ErrorCode::kSerialization, "Expected a base64 string for a Blob"};
  const std::string_view text = value.str();
  std::size_t len = 0;
  if (auto error = Base64Error(text, &len))
    return {ErrorCode::kSerialization, BlobSerializationMessage(*error)};
  *out_text = text;
  return Status::Ok();
}

}  // namespace

std::optional<std::string> Base64Error(std::string_view text, std::size_t* out_len) {
  *out_len = 0;
  if (text.size() % 4 != 0) {
    return "Base64 encoded length is expected a multiple of 4 bytes but found: " +
           std::to_string(text.size());
  }
  std::size_t pad = 0;
  while (pad < 2 && pad < text.size() && text[text.size() - 1 - pad] == '=') ++pad;
  const std::size_t data_chars = text.size() - pad;
  if (!AllBase64Symbols(text.substr(0, data_chars))) return std::string("Invalid Base64 character");
  if (pad > 0) {
    // The bits after the last full byte must be zero, or two texts would
    // decode to the same bytes. (AWS's message, spelling included.)
    const int last = Base64SymbolValue(text[data_chars - 1]);
    if ((pad == 1 && (last & 0x03) != 0) || (pad == 2 && (last & 0x0F) != 0)) {
      return std::string("Invalid last non-pad Base64 character dectected");
    }
  }
  *out_len = text.size() / 4 * 3 - pad;
  return std::nullopt;
}

std::string BlobSerializationMessage(std::string_view reason) {
  std::string message = "Value can not be converted to a Blob: ";
  message += reason;
  return message;
}

StatusOr<Bytes> DecodeBlob(JsonView value) {
  std::string_view text;
  RETURN_IF_ERROR(CheckBlobValue(value, &text));
  std::optional<Bytes> bytes = Base64Decode(text);
  if (!bytes) return Status(ErrorCode::kSerialization, BlobSerializationMessage("Invalid Base64 character"));
  return std::move(*bytes);
}

StatusOr<SecretBytes> DecodeSecretBlob(JsonView value) {
  std::string_view text;
  RETURN_IF_ERROR(CheckBlobValue(value, &text));
  std::optional<Bytes> bytes = Base64Decode(text);
  if (!bytes) return Status(ErrorCode::kSerialization, BlobSerializationMessage("Invalid Base64 character"));
  SecretBytes secret{ByteView(*bytes)};
  SecureWipe(bytes->data(), bytes->size());
  return secret;
}

}  // namespace coffer::api
