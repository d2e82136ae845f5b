// Parser and serializer mirror the spec's field tables in order.
#include "envelope/header.h"

#include <limits>

#include "envelope/wire.h"

namespace coffer::envelope {
namespace {

constexpr std::uint8_t kTypeCustomerAuthenticatedEncryptedData = 0x80;

StatusOr<const SuiteInfo*> ParseVersionAndSuite(Cursor& cursor) {
  std::uint8_t version = 0;
  if (!cursor.ReadU8(&version)) return Malformed("version");
  if (version != 1 && version != 2) return Malformed("unsupported version");
  if (version == 1) {
    std::uint8_t type = 0;
    if (!cursor.ReadU8(&type)) return Malformed("type");
    if (type != kTypeCustomerAuthenticatedEncryptedData) return Malformed("unsupported type");
  }
  std::uint16_t suite_id = 0;
  if (!cursor.ReadU16(&suite_id)) return Malformed("algorithm suite id");
  const SuiteInfo* suite = FindSuite(suite_id);
  if (suite == nullptr) return Malformed("unknown algorithm suite");
  if (suite->message_version != version) return Malformed("algorithm suite does not match the version");
  return suite;
}

StatusOr<std::vector<EncryptedDataKey>> ParseEdks(Cursor& cursor, std::size_t max_edks) {
  std::uint16_t count = 0;
  if (!cursor.ReadU16(&count)) return Malformed("encrypted data key count");
  if (count == 0) return Malformed("zero encrypted data keys");
  if (max_edks != 0 && count > max_edks) {
    return Status(ErrorCode::kLimitExceeded, "message has more encrypted data keys than allowed");
  }
  std::vector<EncryptedDataKey> edks(count);
  for (EncryptedDataKey& edk : edks) {
    ByteView id, info, ciphertext;
    if (!cursor.ReadU16LengthPrefixed(&id)) return Malformed("key provider id");
    if (!cursor.ReadU16LengthPrefixed(&info)) return Malformed("key provider info");
    if (!cursor.ReadU16LengthPrefixed(&ciphertext)) return Malformed("encrypted data key");
    edk.provider_id.assign(AsChars(id));
    edk.provider_info.assign(info.begin(), info.end());
    edk.ciphertext.assign(ciphertext.begin(), ciphertext.end());
  }
  return edks;
}

Status ParseContentFields(Cursor& cursor, MessageHeader& header) {
  std::uint8_t content_type = 0;
  if (!cursor.ReadU8(&content_type)) return Malformed("content type");
  if (content_type != 1 && content_type != 2) return Malformed("unknown content type");
  header.content_type = static_cast<ContentType>(content_type);
  if (header.suite->message_version == 1) {
    std::uint32_t reserved = 0;
    std::uint8_t iv_len = 0;
    if (!cursor.ReadU32(&reserved)) return Malformed("reserved field");
    if (reserved != 0) return Malformed("reserved field is not zero");
    if (!cursor.ReadU8(&iv_len)) return Malformed("IV length");
    if (iv_len != kIvLen) return Malformed("IV length does not match the suite");
  }
  if (!cursor.ReadU32(&header.frame_length)) return Malformed("frame length");
  if (header.content_type == ContentType::kNonFramed && header.frame_length != 0) {
    return Malformed("non-framed content with a frame length");
  }
  if (header.content_type == ContentType::kFramed && header.frame_length == 0) {
    return Malformed("framed content with frame length 0");
  }
  if (header.suite->message_version == 2) {
    ByteView commitment;
    if (!cursor.ReadBytes(kCommitKeyLen, &commitment)) return Malformed("algorithm suite data");
    header.commitment.assign(commitment.begin(), commitment.end());
  }
  return Status::Ok();
}

Status ParseHeaderAuth(Cursor& cursor, MessageHeader& header) {
  ByteView iv, tag;
  if (header.suite->message_version == 1) {
    if (!cursor.ReadBytes(kIvLen, &iv)) return Malformed("header IV");
    header.auth_iv.assign(iv.begin(), iv.end());
  } else {
    header.auth_iv.assign(kIvLen, 0);
  }
  if (!cursor.ReadBytes(kTagLen, &tag)) return Malformed("header authentication tag");
  header.auth_tag.assign(tag.begin(), tag.end());
  return Status::Ok();
}

}  // namespace

StatusOr<MessageHeader> ParseHeader(Cursor& cursor, std::size_t max_edks) {
  const ByteView start = cursor.Rest();
  MessageHeader header;
  ASSIGN_OR_RETURN(header.suite, ParseVersionAndSuite(cursor));
  ByteView message_id, aad;
  if (!cursor.ReadBytes(MessageIdLen(*header.suite), &message_id)) return Malformed("message id");
  header.message_id.assign(message_id.begin(), message_id.end());
  if (!cursor.ReadU16LengthPrefixed(&aad)) return Malformed("AAD");
  ASSIGN_OR_RETURN(header.context, ParseContext(aad));
  ASSIGN_OR_RETURN(header.encrypted_data_keys, ParseEdks(cursor, max_edks));
  RETURN_IF_ERROR(ParseContentFields(cursor, header));
  const std::size_t body_len = start.size() - cursor.remaining();
  header.body.assign(start.begin(), start.begin() + static_cast<std::ptrdiff_t>(body_len));
  RETURN_IF_ERROR(ParseHeaderAuth(cursor, header));
  return header;
}

StatusOr<Bytes> SerializeHeaderBody(const MessageHeader& header) {
  const SuiteInfo& suite = *header.suite;
  Bytes out;
  AppendU8(out, suite.message_version);
  if (suite.message_version == 1) AppendU8(out, kTypeCustomerAuthenticatedEncryptedData);
  AppendU16(out, static_cast<std::uint16_t>(suite.id));
  AppendBytes(out, header.message_id);
  ASSIGN_OR_RETURN(Bytes context, SerializeContext(header.context));
  RETURN_IF_ERROR(AppendU16Prefixed(out, context, "encryption context"));
  if (header.encrypted_data_keys.empty() ||
      header.encrypted_data_keys.size() > std::numeric_limits<std::uint16_t>::max()) {
    return ValidationError("a message needs between 1 and 65535 encrypted data keys");
  }
  AppendU16(out, static_cast<std::uint16_t>(header.encrypted_data_keys.size()));
  for (const EncryptedDataKey& edk : header.encrypted_data_keys) {
    RETURN_IF_ERROR(AppendU16Prefixed(out, AsBytes(edk.provider_id), "key provider id"));
    RETURN_IF_ERROR(AppendU16Prefixed(out, edk.provider_info, "key provider info"));
    RETURN_IF_ERROR(AppendU16Prefixed(out, edk.ciphertext, "encrypted data key"));
  }
  AppendU8(out, static_cast<std::uint8_t>(header.content_type));
  if (suite.message_version == 1) {
    AppendU32(out, 0);  // reserved
    AppendU8(out, kIvLen);
  }
  AppendU32(out, header.frame_length);
  if (suite.message_version == 2) AppendBytes(out, header.commitment);
  return out;
}

Bytes SerializeHeaderAuth(const MessageHeader& header) {
  Bytes out;
  if (header.suite->message_version == 1) AppendBytes(out, header.auth_iv);
  AppendBytes(out, header.auth_tag);
  return out;
}

}  // namespace coffer::envelope
