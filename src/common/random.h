// Randomness comes in through RandomSource so tests can make it repeatable.
#pragma once

#include <cstdint>
#include <span>

#include "common/status.h"

namespace coffer {

class RandomSource {
 public:
  virtual ~RandomSource() = default;
  // Fills `out` with cryptographically strong random bytes.
  virtual Status Fill(std::span<std::uint8_t> out) = 0;
};

}  // namespace coffer
