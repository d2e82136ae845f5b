// Checks of base64 blob text as AWS's JSON deserializer applies them.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace coffer::api {

// nullopt when text is canonical padded base64 (standard alphabet, unused
// trailing bits zero), with *out_len set to the decoded length; otherwise the
// reason, which never quotes the text.
std::optional<std::string> Base64Error(std::string_view text, std::size_t* out_len);

// The SerializationException message for a blob that is not base64.
std::string BlobSerializationMessage(std::string_view reason);

}  // namespace coffer::api
