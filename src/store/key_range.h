// The key range a Txn::Scan covers, shared by the SQL stores so both turn
// (prefix, start_after) into the same bounds.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace coffer::store {

// The smallest key greater than every key starting with `prefix`, or nullopt
// when there is none (empty prefix, or a prefix of only 0xFF bytes).
inline std::optional<std::string> PrefixUpperBound(std::string_view prefix) {
  std::string upper(prefix);
  while (!upper.empty() && static_cast<unsigned char>(upper.back()) == 0xff) {
    upper.pop_back();
  }
  if (upper.empty()) {
    return std::nullopt;
  }
  upper.back() = static_cast<char>(static_cast<unsigned char>(upper.back()) + 1);
  return upper;
}

// Keys k with lower <= k (inclusive) or lower < k, and k < upper when set.
struct ScanBounds {
  std::string_view lower;
  bool lower_inclusive;
  std::optional<std::string> upper;
};

// An empty start_after means "from the first", which must include an empty
// key; so the lower bound is either >= prefix or > start_after. string_view
// compares as unsigned char, which is the stores' byte order.
inline ScanBounds ScanBoundsFor(std::string_view prefix, std::string_view start_after) {
  const bool from_prefix = start_after.empty() || start_after < prefix;
  return ScanBounds{from_prefix ? prefix : start_after, from_prefix, PrefixUpperBound(prefix)};
}

}  // namespace coffer::store
