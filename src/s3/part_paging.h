// Rules of a completed multipart object's parts that need no store: the
// page of parts GetObjectAttributes lists (x-amz-max-parts,
// x-amz-part-number-marker) and the size a CompleteMultipartUpload declares
// (x-amz-mp-object-size).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "common/status_or.h"

namespace coffer::s3 {

constexpr std::size_t kDefaultMaxParts = 1000;

struct PartsPaging {
  std::size_t max_parts = kDefaultMaxParts;
  std::uint64_t marker = 0;  // list the parts numbered above it
};

// The two request headers, each nullopt when absent. InvalidArgument for a
// value that is not a non-negative integer; max-parts above 1000 is 1000.
StatusOr<PartsPaging> PartsPagingOf(std::optional<std::string_view> max_parts,
                                    std::optional<std::string_view> marker);

// Parts are numbered 1..total; the page holds parts first+1 .. first+count.
struct PartsPage {
  std::size_t first = 0;
  std::size_t count = 0;
  bool truncated = false;  // parts remain after the page
};
PartsPage PageOfParts(std::size_t total, const PartsPaging& paging);

// x-amz-mp-object-size (nullopt when absent): InvalidRequest unless it is a
// non-negative integer.
StatusOr<std::optional<std::uint64_t>> ParseMpObjectSize(std::optional<std::string_view> header);
// InvalidRequest when a declared size is not the size the parts add up to.
Status CheckMpObjectSize(std::optional<std::uint64_t> declared, std::uint64_t actual);

}  // namespace coffer::s3
