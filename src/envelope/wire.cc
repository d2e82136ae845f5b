#include "envelope/wire.h"

#include <limits>

namespace coffer::envelope {

void AppendU8(Bytes& out, std::uint8_t v) { out.push_back(v); }

void AppendU16(Bytes& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}

void AppendU32(Bytes& out, std::uint32_t v) {
  AppendU16(out, static_cast<std::uint16_t>(v >> 16));
  AppendU16(out, static_cast<std::uint16_t>(v));
}

void AppendU64(Bytes& out, std::uint64_t v) {
  AppendU32(out, static_cast<std::uint32_t>(v >> 32));
  AppendU32(out, static_cast<std::uint32_t>(v));
}

void AppendBytes(Bytes& out, ByteView bytes) { out.insert(out.end(), bytes.begin(), bytes.end()); }

Status AppendU16Prefixed(Bytes& out, ByteView bytes, const char* what) {
  if (bytes.size() > std::numeric_limits<std::uint16_t>::max()) {
    return ValidationError(std::string(what) + " is longer than 65535 bytes");
  }
  AppendU16(out, static_cast<std::uint16_t>(bytes.size()));
  AppendBytes(out, bytes);
  return Status::Ok();
}

StatusOr<Bytes> SerializeContext(const EncryptionContext& context) {
  Bytes out;
  if (context.empty()) return out;
  if (context.size() > std::numeric_limits<std::uint16_t>::max()) {
    return ValidationError("encryption context has too many entries");
  }
  AppendU16(out, static_cast<std::uint16_t>(context.size()));
  // std::map orders std::string keys by unsigned byte value, as the spec does.
  for (const auto& [key, value] : context) {
    RETURN_IF_ERROR(AppendU16Prefixed(out, AsBytes(key), "encryption context key"));
    RETURN_IF_ERROR(AppendU16Prefixed(out, AsBytes(value), "encryption context value"));
  }
  if (out.size() > std::numeric_limits<std::uint16_t>::max()) {
    return ValidationError("encryption context is longer than 65535 bytes serialized");
  }
  return out;
}

StatusOr<EncryptionContext> ParseContext(ByteView bytes) {
  EncryptionContext context;
  if (bytes.empty()) return context;
  Cursor cursor(bytes);
  std::uint16_t count = 0;
  if (!cursor.ReadU16(&count)) return Malformed("encryption context count");
  if (count == 0) return Malformed("encryption context with zero entries");
  for (std::uint16_t i = 0; i < count; ++i) {
    ByteView key, value;
    if (!cursor.ReadU16LengthPrefixed(&key)) return Malformed("encryption context key");
    if (!cursor.ReadU16LengthPrefixed(&value)) return Malformed("encryption context value");
    if (!context.emplace(std::string(AsChars(key)), std::string(AsChars(value))).second) {
      return Malformed("duplicate encryption context key");
    }
  }
  if (cursor.remaining() != 0) return Malformed("bytes after the encryption context");
  return context;
}

}  // namespace coffer::envelope
