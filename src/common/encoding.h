// Text encodings of bytes. Decoders report malformed input; they never throw.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/bytes.h"

namespace coffer {

std::string Base64Encode(ByteView data);
// Standard alphabet with padding, as AWS JSON blobs use. nullopt on bad input.
std::optional<Bytes> Base64Decode(std::string_view text);

std::string HexEncode(ByteView data);  // lower case
std::optional<Bytes> HexDecode(std::string_view text);

// RFC 4122 version-4 UUID text from 16 random bytes.
std::string FormatUuid(ByteView random16);

}  // namespace coffer
