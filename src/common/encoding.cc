#include "common/encoding.h"

#include <array>

namespace coffer {
namespace {

constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<std::int8_t, 256> MakeDecodeTable() {
  std::array<std::int8_t, 256> table{};
  for (auto& v : table) v = -1;
  for (std::size_t i = 0; i < kAlphabet.size(); ++i) {
    table[static_cast<unsigned char>(kAlphabet[i])] = static_cast<std::int8_t>(i);
  }
  return table;
}
constexpr auto kDecode = MakeDecodeTable();

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

void Base64EncodeInto(ByteView data, char* out) {
  std::size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    const std::uint32_t n = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
    out[0] = kAlphabet[(n >> 18) & 63];
    out[1] = kAlphabet[(n >> 12) & 63];
    out[2] = kAlphabet[(n >> 6) & 63];
    out[3] = kAlphabet[n & 63];
    out += 4;
  }
  const std::size_t rest = data.size() - i;
  if (rest > 0) {  // one or two bytes left: two or three symbols, then '=' padding
    const std::uint32_t n = (data[i] << 16) | (rest == 2 ? data[i + 1] << 8 : 0);
    out[0] = kAlphabet[(n >> 18) & 63];
    out[1] = kAlphabet[(n >> 12) & 63];
    out[2] = rest == 2 ? kAlphabet[(n >> 6) & 63] : '=';
    out[3] = '=';
  }
}

std::string Base64Encode(ByteView data) {
  std::string out(Base64EncodedLength(data.size()), '\0');
  Base64EncodeInto(data, out.data());
  return out;
}

int Base64SymbolValue(char c) { return kDecode[static_cast<unsigned char>(c)]; }

bool AllBase64Symbols(std::string_view text) {
  int invalid = 0;  // a -1 anywhere makes it negative
  for (const char c : text) invalid |= kDecode[static_cast<unsigned char>(c)];
  return invalid >= 0;
}

std::optional<Bytes> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  if (text.empty()) return Bytes{};
  // Every quantum but the last has four symbols; the last may end in one or
  // two '=' (a '=' anywhere else, or a symbol after one, is rejected).
  std::size_t pad = 0;
  while (pad < 2 && text[text.size() - 1 - pad] == '=') ++pad;
  const std::size_t symbols = text.size() - pad;
  Bytes out(text.size() / 4 * 3 - pad);
  std::uint8_t* w = out.data();
  const auto* in = reinterpret_cast<const unsigned char*>(text.data());
  std::int32_t invalid = 0;  // any table miss (-1) makes it negative
  std::size_t i = 0;
  for (; i + 4 <= symbols; i += 4) {
    const std::int32_t a = kDecode[in[i]], b = kDecode[in[i + 1]], c = kDecode[in[i + 2]],
                       d = kDecode[in[i + 3]];
    invalid |= a | b | c | d;
    const std::uint32_t n = (static_cast<std::uint32_t>(a) << 18) | (static_cast<std::uint32_t>(b) << 12) |
                            (static_cast<std::uint32_t>(c) << 6) | static_cast<std::uint32_t>(d);
    w[0] = static_cast<std::uint8_t>(n >> 16);
    w[1] = static_cast<std::uint8_t>(n >> 8);
    w[2] = static_cast<std::uint8_t>(n);
    w += 3;
  }
  if (pad > 0) {  // the last quantum: 4 - pad symbols, then the padding
    std::uint32_t n = 0;
    for (std::size_t j = 0; j < 4 - pad; ++j) {
      const std::int32_t v = kDecode[in[i + j]];
      invalid |= v;
      n |= static_cast<std::uint32_t>(v & 63) << (18 - 6 * j);
    }
    w[0] = static_cast<std::uint8_t>(n >> 16);
    if (pad == 1) w[1] = static_cast<std::uint8_t>(n >> 8);
  }
  if (invalid < 0) return std::nullopt;
  return out;
}

void AppendHex(ByteView data, std::string& out) {
  static constexpr char kDigits[] = "0123456789abcdef";
  const std::size_t at = out.size();
  out.resize(at + 2 * data.size());
  char* w = out.data() + at;
  for (const std::uint8_t b : data) {
    *w++ = kDigits[b >> 4];
    *w++ = kDigits[b & 15];
  }
}

std::string HexEncode(ByteView data) {
  std::string out;
  AppendHex(data, out);
  return out;
}

std::optional<Bytes> HexDecode(std::string_view text) {
  if (text.size() % 2 != 0) return std::nullopt;
  Bytes out(text.size() / 2);
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int hi = HexValue(text[2 * i]);
    const int lo = HexValue(text[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<std::uint8_t>((hi << 4) | lo);
  }
  return out;
}

std::string FormatUuid(ByteView random16) {
  std::string out;
  AssignUuid(random16, out);
  return out;
}

void AssignUuid(ByteView random16, std::string& out) {
  std::array<std::uint8_t, 16> b{};
  for (std::size_t i = 0; i < b.size() && i < random16.size(); ++i) b[i] = random16[i];
  b[6] = static_cast<std::uint8_t>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<std::uint8_t>((b[8] & 0x3f) | 0x80);
  static constexpr char kDigits[] = "0123456789abcdef";
  out.assign(36, '-');  // 8-4-4-4-12 hex digits
  std::size_t at = 0;
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) ++at;  // skip the dash
    out[at++] = kDigits[b[i] >> 4];
    out[at++] = kDigits[b[i] & 15];
  }
}

}  // namespace coffer
