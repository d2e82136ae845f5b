// UTF-8 helpers for validation. Request strings come from nlohmann::json,
// whose parser rejects malformed UTF-8; these still tolerate it (a stray byte
// counts as one character) so that no input can make them misbehave.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace coffer::api {

// Length as AWS counts it for string constraints: UTF-16 code units, so a
// character outside the Basic Multilingual Plane counts twice.
std::size_t Utf16Length(std::string_view utf8);

// The text as code points, for std::wregex.
std::wstring Utf8ToWide(std::string_view utf8);

// The longest prefix holding at most max_chars code points.
std::string_view TruncateUtf8(std::string_view utf8, std::size_t max_chars);

}  // namespace coffer::api
