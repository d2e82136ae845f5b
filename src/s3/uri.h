// Percent-decoding of S3 request targets and query strings, and the
// encoding S3 applies to keys in listings with encoding-type=url.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace coffer::s3 {

// nullopt for a malformed escape ("%4", "%zz").
std::optional<std::string> PercentDecode(std::string_view text, bool plus_is_space);
// name=value pairs in order; a name without '=' has an empty value; pieces
// with a malformed escape are kept undecoded.
std::vector<std::pair<std::string, std::string>> ParseQuery(std::string_view query);
// RFC 3986 unreserved characters stay; '/' stays when `keep_slash`.
std::string UrlEncode(std::string_view text, bool keep_slash);

}  // namespace coffer::s3
