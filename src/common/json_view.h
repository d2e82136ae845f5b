// Read-only views of JSON values, and the request documents they look into.
//
// A JsonView is a cheap handle (no ownership, no allocation) to one value of
// either a simdjson DOM (what the server parses request bodies and responses
// into, once per request) or an nlohmann::json (in-process calls between
// services, S3 request parameters, tests). Code that reads requests (model
// validation, operations on the hot path, authorization condition keys, the
// audit record, quotas) takes JsonView and so works on either without a
// second tree. A default (or null-pointer) view is absent: every accessor
// answers as for a missing member.
//
// Member lookup follows nlohmann's semantics, which the rest of the server
// was written against: with duplicate keys the last one wins. JsonDocument
// makes that hold for simdjson too by handing documents with a repeated key
// to nlohmann (rare: no AWS SDK sends one).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "common/function_ref.h"

namespace simdjson::dom {
class element;
class parser;
}  // namespace simdjson::dom

namespace coffer {

class JsonView {
 public:
  JsonView() = default;
  JsonView(std::nullptr_t) {}                                                    // NOLINT: absent
  JsonView(const nlohmann::json& value) : kind_(Kind::kNlohmann), n_(&value) {}  // NOLINT: implicit
  JsonView(const nlohmann::json* value)
      : kind_(value ? Kind::kNlohmann : Kind::kAbsent), n_(value) {}  // NOLINT
  // A braced list would silently become a temporary nlohmann value (often an
  // array where an object was meant) that dies before the view: spell json{...}.
  JsonView(nlohmann::json::initializer_list_t) = delete;
  static JsonView Of(const simdjson::dom::element& element);

  bool absent() const { return kind_ == Kind::kAbsent; }
  // Absent or a JSON null: "no value" to AWS's deserializers.
  bool is_null() const;
  bool is_object() const;
  bool is_array() const;
  bool is_string() const;
  bool is_boolean() const;
  bool is_number() const;
  bool is_number_float() const;     // written with a fraction or exponent
  bool is_number_unsigned() const;  // an integer above INT64_MAX
  bool operator==(std::nullptr_t) const { return absent(); }

  // The text of a string value; empty for anything else.
  std::string_view str() const;
  bool boolean() const;        // false unless a true boolean
  std::int64_t int64() const;  // integers within int64 only (0 otherwise)
  std::uint64_t uint64() const;
  double number() const;  // any number as a double

  // An object's member (the last one of that name); absent when this is not
  // an object or has no such member.
  JsonView find(std::string_view key) const;
  // find(key).str(), or `fallback` when the member is not a string.
  std::string_view string_member(std::string_view key, std::string_view fallback = {}) const;
  bool contains(std::string_view key) const { return !find(key).absent(); }
  // Members of an object, elements of an array; 0 for anything else.
  std::size_t size() const;

  // Visits an object's members in document order (or an array's elements)
  // until `visit` returns false. No effect on other values.
  void ForEachMember(FunctionRef<bool(std::string_view key, JsonView value)> visit) const;
  void ForEachElement(FunctionRef<bool(JsonView value)> visit) const;

  // An nlohmann copy, for code that still builds on nlohmann (the operations
  // outside the hot path). Absent becomes null.
  nlohmann::json ToNlohmann() const;
  // The value as compact JSON text (numbers as nlohmann would write them).
  std::string Dump() const;

 private:
  enum class Kind : unsigned char { kAbsent, kNlohmann, kSimd };
  const simdjson::dom::element& simd() const;

  Kind kind_ = Kind::kAbsent;
  const nlohmann::json* n_ = nullptr;
  alignas(8) unsigned char simd_[16]{};  // a simdjson::dom::element (trivially copyable)
};

// One parsed JSON text, reusable across requests (its parser keeps its
// buffers, so a warm document parses without allocating). Not thread-safe;
// the server keeps one per io thread and request role.
class JsonDocument {
 public:
  JsonDocument();
  ~JsonDocument();
  JsonDocument(const JsonDocument&) = delete;
  JsonDocument& operator=(const JsonDocument&) = delete;

  // Parses `text` (which must outlive the views only as long as the document
  // is not parsed again). False when it is not valid JSON (RFC 8259, UTF-8
  // checked, as nlohmann::json::parse decides).
  bool Parse(std::string_view text);
  // The root of the last successful Parse; absent before one.
  JsonView root() const;

 private:
  std::unique_ptr<simdjson::dom::parser> parser_;
  std::unique_ptr<char[]> padded_;  // the text plus simdjson's padding
  std::size_t padded_capacity_ = 0;
  std::optional<nlohmann::json> fallback_;  // documents simdjson refuses or with repeated keys
  bool simd_ok_ = false;
  alignas(8) unsigned char root_[16]{};
};

}  // namespace coffer
