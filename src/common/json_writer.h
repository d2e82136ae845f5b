// Compact JSON serialisation for responses, equivalent to
// nlohmann::json::dump(-1, ' ', false, error_handler_t::replace) but without
// its per-character output path: strings that need no escaping (base64, ARNs,
// ids: nearly every response member) are copied in one append.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <string>

#include "common/json_view.h"

namespace coffer {

// Bytes that are not UTF-8 are replaced with U+FFFD, never thrown on.
std::string WriteJson(const nlohmann::json& value);

// Appends one JSON string literal (quoted, escaped) for `text`.
void AppendJsonString(std::string_view text, std::string& out);
// Appends `value` as WriteJson would write it.
void AppendJsonValue(const nlohmann::json& value, std::string& out);

// Writes a JSON document member by member straight into a string, for
// records built on a hot path where a DOM would cost more than the data
// (audit events). The caller nests Begin/End calls correctly; commas are
// placed here. Strings are escaped as AppendJsonString does.
class JsonOut {
 public:
  explicit JsonOut(std::string& out) : out_(out) {}
  JsonOut& BeginObject() { return Open('{'); }
  JsonOut& EndObject() { return Close('}'); }
  JsonOut& BeginArray() { return Open('['); }
  JsonOut& EndArray() { return Close(']'); }
  // The name of the next object member.
  JsonOut& Key(std::string_view name);
  JsonOut& String(std::string_view text);
  JsonOut& Bool(bool value);
  JsonOut& Null();
  JsonOut& Value(const nlohmann::json& value);
  // Any value of a parsed document, written as WriteJson would write its nlohmann copy.
  JsonOut& Value(JsonView value);
  // Numbers, written as nlohmann writes them.
  JsonOut& Int(std::int64_t value);
  // A blob member's value: the bytes as a base64 string, written in place.
  JsonOut& Base64(std::span<const std::uint8_t> bytes);
  // Shorthands for one member.
  JsonOut& Member(std::string_view name, std::string_view text) { return Key(name).String(text); }
  JsonOut& Member(std::string_view name, const char* text) { return Key(name).String(text); }
  JsonOut& Member(std::string_view name, bool value) { return Key(name).Bool(value); }

 private:
  JsonOut& Open(char bracket);
  JsonOut& Close(char bracket);
  void Separate();

  std::string& out_;
  bool need_comma_ = false;
};

}  // namespace coffer
