#include "common/json_writer.h"

#include <array>
#include <charconv>
#include <cstdint>
#include <cstring>

#include "common/encoding.h"

namespace coffer {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// Bytes that end a plain run: controls, quote, backslash, and non-ASCII
// (which must be checked for well-formed UTF-8).
constexpr std::array<bool, 256> MakeCareTable() {
  std::array<bool, 256> table{};
  for (std::size_t c = 0; c < table.size(); ++c) table[c] = c < 0x20 || c == '"' || c == '\\' || c >= 0x80;
  return table;
}
constexpr auto kNeedsCare = MakeCareTable();

// Whether any of the eight bytes in `w` needs care: a control character, '"',
// '\\' or a byte of a multi-byte UTF-8 sequence (SWAR: a byte is zero in
// `v` exactly when (v - 1) & ~v has its high bit set).
bool WordNeedsCare(std::uint64_t w) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
  constexpr std::uint64_t kHigh = 0x8080808080808080ULL;
  const auto has_zero = [](std::uint64_t v) { return (v - kOnes) & ~v & kHigh; };
  const std::uint64_t below_space = (w - 0x20 * kOnes) & ~w & kHigh;
  return ((w & kHigh) | below_space | has_zero(w ^ ('"' * kOnes)) | has_zero(w ^ ('\\' * kOnes))) != 0;
}

void AppendEscapedControl(unsigned char c, std::string& out) {
  switch (c) {
    case '\b':
      out += "\\b";
      return;
    case '\f':
      out += "\\f";
      return;
    case '\n':
      out += "\\n";
      return;
    case '\r':
      out += "\\r";
      return;
    case '\t':
      out += "\\t";
      return;
    default:
      break;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  out += "\\u00";
  out.push_back(kHex[c >> 4]);
  out.push_back(kHex[c & 15]);
}

// The UTF-8 sequence at text[i] (RFC 3629: no overlongs, no surrogates, at
// most U+10FFFF): its length and whether it is well formed. A malformed one
// spans its maximal valid prefix (at least one byte), which is replaced by a
// single U+FFFD, as Unicode recommends and nlohmann does.
struct Utf8Sequence {
  std::size_t len;
  bool valid;
};

Utf8Sequence ReadUtf8Sequence(std::string_view text, std::size_t i) {
  const auto at = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char c = at(i);
  std::size_t len = 0;
  unsigned char lo = 0x80;
  unsigned char hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return {1, false};
  }
  for (std::size_t k = 1; k < len; ++k) {
    if (i + k >= text.size()) return {k, false};
    const unsigned char b = at(i + k);
    const bool ok = k == 1 ? (b >= lo && b <= hi) : (b >= 0x80 && b <= 0xBF);
    if (!ok) return {k, false};
  }
  return {len, true};
}

void AppendValue(const nlohmann::json& value, std::string& out);

void AppendObject(const nlohmann::json& value, std::string& out) {
  out.push_back('{');
  bool first = true;
  for (const auto& [key, member] : value.items()) {
    if (!first) out.push_back(',');
    first = false;
    AppendJsonString(key, out);
    out.push_back(':');
    AppendValue(member, out);
  }
  out.push_back('}');
}

void AppendArray(const nlohmann::json& value, std::string& out) {
  out.push_back('[');
  bool first = true;
  for (const auto& element : value) {
    if (!first) out.push_back(',');
    first = false;
    AppendValue(element, out);
  }
  out.push_back(']');
}

template <typename Int>
void AppendInteger(Int n, std::string& out) {
  char buf[24];
  const auto result = std::to_chars(buf, buf + sizeof(buf), n);
  out.append(buf, result.ptr);
}

void AppendValue(const nlohmann::json& value, std::string& out) {
  using Type = nlohmann::json::value_t;
  switch (value.type()) {
    case Type::object:
      return AppendObject(value, out);
    case Type::array:
      return AppendArray(value, out);
    case Type::string:
      return AppendJsonString(value.get_ref<const std::string&>(), out);
    case Type::boolean:
      out += value.get<bool>() ? "true" : "false";
      return;
    case Type::number_integer:
      return AppendInteger(value.get<std::int64_t>(), out);
    case Type::number_unsigned:
      return AppendInteger(value.get<std::uint64_t>(), out);
    // Floats keep nlohmann's exact formatting (shortest round trip).
    case Type::number_float:
      out += value.dump();
      return;
    case Type::binary:  // never built by this server; serialised as nlohmann would
      out += value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      return;
    case Type::null:
    case Type::discarded:
      out += "null";
      return;
  }
}

}  // namespace

void AppendJsonString(std::string_view text, std::string& out) {
  out.reserve(out.size() + text.size() + 2);
  out.push_back('"');
  std::size_t run_start = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    if (i + 8 <= text.size()) {  // skip clean words eight bytes at a time
      std::uint64_t word = 0;
      std::memcpy(&word, text.data() + i, sizeof word);
      if (!WordNeedsCare(word)) {
        i += 8;
        continue;
      }
    }
    const auto c = static_cast<unsigned char>(text[i]);
    if (!kNeedsCare[c]) {
      ++i;
      continue;
    }
    out.append(text.data() + run_start, i - run_start);
    if (c >= 0x80) {
      const Utf8Sequence seq = ReadUtf8Sequence(text, i);
      if (seq.valid) {
        out.append(text.data() + i, seq.len);
      } else {
        out += kReplacement;
      }
      i += seq.len;
    } else {
      if (c == '"' || c == '\\') {
        out.push_back('\\');
        out.push_back(static_cast<char>(c));
      } else {
        AppendEscapedControl(c, out);
      }
      ++i;
    }
    run_start = i;
  }
  out.append(text.data() + run_start, text.size() - run_start);
  out.push_back('"');
}

void AppendJsonValue(const nlohmann::json& value, std::string& out) { AppendValue(value, out); }

void JsonOut::Separate() {
  if (need_comma_) out_.push_back(',');
}

JsonOut& JsonOut::Open(char bracket) {
  Separate();
  out_.push_back(bracket);
  need_comma_ = false;
  return *this;
}

JsonOut& JsonOut::Close(char bracket) {
  out_.push_back(bracket);
  need_comma_ = true;
  return *this;
}

JsonOut& JsonOut::Key(std::string_view name) {
  Separate();
  AppendJsonString(name, out_);
  out_.push_back(':');
  need_comma_ = false;
  return *this;
}

JsonOut& JsonOut::String(std::string_view text) {
  Separate();
  AppendJsonString(text, out_);
  need_comma_ = true;
  return *this;
}

JsonOut& JsonOut::Bool(bool value) {
  Separate();
  out_ += value ? "true" : "false";
  need_comma_ = true;
  return *this;
}

JsonOut& JsonOut::Null() {
  Separate();
  out_ += "null";
  need_comma_ = true;
  return *this;
}

JsonOut& JsonOut::Value(const nlohmann::json& value) {
  Separate();
  AppendValue(value, out_);
  need_comma_ = true;
  return *this;
}

JsonOut& JsonOut::Int(std::int64_t value) {
  Separate();
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
  out_.append(digits, end);
  need_comma_ = true;
  return *this;
}

JsonOut& JsonOut::Base64(std::span<const std::uint8_t> bytes) {
  Separate();
  const std::size_t at = out_.size();
  out_.resize(at + Base64EncodedLength(bytes.size()) + 2);
  out_[at] = '"';
  Base64EncodeInto(bytes, out_.data() + at + 1);
  out_.back() = '"';
  need_comma_ = true;
  return *this;
}

JsonOut& JsonOut::Value(JsonView value) {
  if (value.is_object()) {
    BeginObject();
    value.ForEachMember([this](std::string_view key, JsonView member) {
      Key(key).Value(member);
      return true;
    });
    return EndObject();
  }
  if (value.is_array()) {
    BeginArray();
    value.ForEachElement([this](JsonView element) {
      Value(element);
      return true;
    });
    return EndArray();
  }
  if (value.is_string()) return String(value.str());
  if (value.is_boolean()) return Bool(value.boolean());
  if (value.is_number() && !value.is_number_float() && !value.is_number_unsigned()) return Int(value.int64());
  if (value.is_number()) return Value(value.ToNlohmann());
  return Null();
}

std::string WriteJson(const nlohmann::json& value) {
  std::string out;
  out.reserve(256);
  AppendValue(value, out);
  return out;
}

}  // namespace coffer
