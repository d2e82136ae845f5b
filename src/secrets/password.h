// GetRandomPassword: characters drawn uniformly from the DRBG over the
// allowed set (rejection sampling, no modulo bias), with at least one of each
// included type when RequireEachIncludedType (the default) holds.
#pragma once

#include <cstddef>
#include <string>

#include "common/random.h"
#include "common/status_or.h"

namespace coffer::secrets {

struct PasswordOptions {
  std::size_t length = 32;  // 1..4096
  std::string exclude_characters;
  bool exclude_numbers = false;
  bool exclude_punctuation = false;
  bool exclude_uppercase = false;
  bool exclude_lowercase = false;
  bool include_space = false;
  bool require_each_included_type = true;
};

// AWS's punctuation set.
inline constexpr std::string_view kPunctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

// InvalidParameterException when the options leave no character, or fewer
// characters than required types.
StatusOr<std::string> RandomPassword(const PasswordOptions& options, RandomSource& random);

}  // namespace coffer::secrets
