// Big-endian writers and the encryption context serialization shared by the
// header, the body AAD and the raw keyrings.
#pragma once

#include <cstdint>

#include "coffer/envelope.h"
#include "common/bytes.h"
#include "common/cursor.h"
#include "common/status_or.h"

namespace coffer::envelope {

void AppendU8(Bytes& out, std::uint8_t v);
void AppendU16(Bytes& out, std::uint16_t v);
void AppendU32(Bytes& out, std::uint32_t v);
void AppendU64(Bytes& out, std::uint64_t v);
void AppendBytes(Bytes& out, ByteView bytes);
// A two-byte length, then the bytes; kValidation naming `what` if too long.
Status AppendU16Prefixed(Bytes& out, ByteView bytes, const char* what);

// The spec's serialization: entry count, then key/value pairs sorted by key
// bytes, each with a two-byte length. An empty context serializes to nothing.
StatusOr<Bytes> SerializeContext(const EncryptionContext& context);

// Parses exactly `bytes` (the header's AAD field). Rejects a zero count, a
// duplicate key, and any byte left over.
StatusOr<EncryptionContext> ParseContext(ByteView bytes);

inline Status Malformed(const char* what) {
  return {ErrorCode::kInvalidCiphertext, std::string("malformed message: ") + what};
}

}  // namespace coffer::envelope
