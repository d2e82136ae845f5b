#include "api/utf8.h"

#include <cstdint>

namespace coffer::api {
namespace {

// Byte length of the sequence a lead byte starts; 1 for anything malformed.
std::size_t SequenceLength(unsigned char lead) {
  if (lead < 0xC0) return 1;
  if (lead < 0xE0) return 2;
  if (lead < 0xF0) return 3;
  if (lead < 0xF8) return 4;
  return 1;
}

bool IsContinuation(unsigned char c) { return (c & 0xC0) == 0x80; }

// Decodes the code point at text[*pos] and advances *pos past it.
char32_t Next(std::string_view text, std::size_t* pos) {
  const auto lead = static_cast<unsigned char>(text[*pos]);
  const std::size_t len = SequenceLength(lead);
  if (len == 1 || *pos + len > text.size()) {
    ++*pos;
    return lead;
  }
  static constexpr unsigned char kLeadMask[] = {0, 0, 0x1F, 0x0F, 0x07};
  char32_t cp = lead & kLeadMask[len];
  for (std::size_t i = 1; i < len; ++i) {
    const auto c = static_cast<unsigned char>(text[*pos + i]);
    if (!IsContinuation(c)) {
      ++*pos;
      return lead;
    }
    cp = (cp << 6) | (c & 0x3F);
  }
  *pos += len;
  return cp;
}

}  // namespace

std::size_t Utf16Length(std::string_view utf8) {
  std::size_t units = 0;
  for (std::size_t pos = 0; pos < utf8.size();) units += Next(utf8, &pos) > 0xFFFF ? 2 : 1;
  return units;
}

std::wstring Utf8ToWide(std::string_view utf8) {
  std::wstring out;
  out.reserve(utf8.size());
  for (std::size_t pos = 0; pos < utf8.size();) out.push_back(static_cast<wchar_t>(Next(utf8, &pos)));
  return out;
}

std::string_view TruncateUtf8(std::string_view utf8, std::size_t max_chars) {
  std::size_t pos = 0;
  for (std::size_t chars = 0; chars < max_chars && pos < utf8.size(); ++chars) Next(utf8, &pos);
  return utf8.substr(0, pos);
}

}  // namespace coffer::api
