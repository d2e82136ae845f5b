// libFuzzer target: arbitrary bytes through S3's small request parsers: the
// Range and x-amz-copy-source headers, the <Tagging> body (pugixml), query
// strings and percent-decoding. Each must answer for anything, never crash,
// hang or throw, and what it accepts must satisfy its own contract.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <pugixml.hpp>
#include <string>
#include <string_view>

#include "s3/conditions.h"
#include "s3/tagging.h"
#include "s3/uri.h"
#include "s3/xml.h"

namespace {

using namespace coffer::s3;  // NOLINT(google-build-using-namespace): a harness

void CheckRange(std::string_view header, std::uint64_t size) {
  const std::optional<ByteRange> range = ParseRange(header, size);
  if (!range || range->unsatisfiable) return;
  if (range->first > range->last || range->last >= size) __builtin_trap();
}

void CheckCopySource(std::string_view header) {
  const auto source = ParseCopySource(header);
  if (!source.ok()) return;
  if (source->bucket.empty() || source->key.empty()) __builtin_trap();
  if (source->bucket.find('/') != std::string::npos) __builtin_trap();
  if (source->version_id && source->version_id->empty()) __builtin_trap();
}

void CheckXml(std::string_view text) {
  if (auto doc = XmlDoc::Parse(text); doc.ok()) (void)doc->Root("Tagging");
  for (const std::size_t max : {kMaxObjectTags, kMaxBucketTags}) {
    const auto tags = ParseTaggingXml(text, max);
    if (tags.ok() && tags->size() > max) __builtin_trap();
  }
}

void CheckUri(std::string_view text) {
  for (const bool plus : {false, true}) {
    const auto decoded = PercentDecode(text, plus);
    if (decoded && decoded->size() > text.size()) __builtin_trap();
  }
  for (const auto& [name, value] : ParseQuery(text)) {
    if (name.size() + value.size() > text.size()) __builtin_trap();
  }
  // What S3 encodes in listings decodes back to the same bytes.
  for (const bool keep_slash : {false, true}) {
    const auto round = PercentDecode(UrlEncode(text, keep_slash), false);
    if (!round || *round != text) __builtin_trap();
  }
}

}  // namespace

// Input: [8 bytes of object size for the Range][text for every parser].
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 8) return 0;
  std::uint64_t object_size = 0;
  std::memcpy(&object_size, data, sizeof object_size);
  const std::string_view text(reinterpret_cast<const char*>(data + 8), size - 8);
  CheckRange(text, object_size);
  CheckRange(text, object_size & 0xffff);  // small sizes reach the edge cases
  CheckCopySource(text);
  CheckXml(text);
  CheckUri(text);
  return 0;
}
