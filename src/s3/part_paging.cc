#include "s3/part_paging.h"

#include <algorithm>
#include <charconv>
#include <string>

#include "s3/errors.h"
#include "s3/ops.h"

namespace coffer::s3 {
namespace {

constexpr std::size_t kMaxPartNumber = 10000;

}  // namespace

StatusOr<PartsPaging> PartsPagingOf(std::optional<std::string_view> max_parts,
                                    std::optional<std::string_view> marker) {
  PartsPaging paging;
  if (max_parts) {
    ASSIGN_OR_RETURN(paging.max_parts, ParseMaxKeys(*max_parts, "max-parts", kDefaultMaxParts));
  }
  if (marker) {
    ASSIGN_OR_RETURN(paging.marker, ParseMaxKeys(*marker, "part-number-marker", kMaxPartNumber));
  }
  return paging;
}

PartsPage PageOfParts(std::size_t total, const PartsPaging& paging) {
  PartsPage page;
  page.first = static_cast<std::size_t>(std::min<std::uint64_t>(paging.marker, total));
  page.count = std::min(paging.max_parts, total - page.first);
  page.truncated = page.first + page.count < total;
  return page;
}

StatusOr<std::optional<std::uint64_t>> ParseMpObjectSize(std::optional<std::string_view> header) {
  if (!header) return std::optional<std::uint64_t>();
  const std::string_view text = *header;
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    return InvalidRequest("Value for x-amz-mp-object-size header is invalid: '" + std::string(text) + "'");
  }
  if (value < 0) {
    return InvalidRequest("Value for x-amz-mp-object-size header is less than zero: '" + std::string(text) +
                          "'");
  }
  return std::optional<std::uint64_t>(static_cast<std::uint64_t>(value));
}

Status CheckMpObjectSize(std::optional<std::uint64_t> declared, std::uint64_t actual) {
  if (!declared || *declared == actual) return Status::Ok();
  return InvalidRequest("The provided 'x-amz-mp-object-size' header value " + std::to_string(*declared) +
                        " does not match what was computed: " + std::to_string(actual));
}

}  // namespace coffer::s3
