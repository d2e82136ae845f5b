// Text encodings of bytes. Decoders report malformed input; they never throw.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/bytes.h"

namespace coffer {

std::string Base64Encode(ByteView data);
// Base64Encode writing its Base64EncodedLength(data.size()) symbols to `out`.
void Base64EncodeInto(ByteView data, char* out);
constexpr std::size_t Base64EncodedLength(std::size_t bytes) { return (bytes + 2) / 3 * 4; }
// The value (0-63) of a symbol of the standard alphabet, -1 for any other byte.
int Base64SymbolValue(char c);
// Whether every byte of `text` is a symbol of the standard alphabet.
bool AllBase64Symbols(std::string_view text);
// Standard alphabet with padding, as AWS JSON blobs use. nullopt on bad input.
std::optional<Bytes> Base64Decode(std::string_view text);

std::string HexEncode(ByteView data);             // lower case
void AppendHex(ByteView data, std::string& out);  // HexEncode appended to `out`
std::optional<Bytes> HexDecode(std::string_view text);

// RFC 4122 version-4 UUID text from 16 random bytes.
std::string FormatUuid(ByteView random16);
// The same into `out` (replacing its text, keeping its capacity).
void AssignUuid(ByteView random16, std::string& out);

}  // namespace coffer
