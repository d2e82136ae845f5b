// Helpers for tests that iterate published vectors (shared/oracles/).
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/bytes.h"
#include "common/encoding.h"

namespace coffer::crypto::testing {

inline std::string OracleFile(std::string_view relative) {
  return std::string(COFFER_ORACLES_DIR) + "/" + std::string(relative);
}

// The parsed file, or a discarded value after a test failure.
inline nlohmann::json LoadJson(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    ADD_FAILURE() << "cannot open " << path;
    // Not braces: a braced json is a one-element array.
    return nlohmann::json(nlohmann::json::value_t::discarded);  // NOLINT(modernize-return-braced-init-list)
  }
  nlohmann::json parsed = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    ADD_FAILURE() << "cannot parse " << path;
  }
  return parsed;
}

// Hex text to bytes; the vectors are trusted, so bad hex is a test failure.
inline Bytes Hex(std::string_view text) {
  auto bytes = HexDecode(text);
  if (!bytes) {
    ADD_FAILURE() << "bad hex in test data: " << text.substr(0, 40);
    return {};
  }
  return *bytes;
}

inline Bytes HexField(const nlohmann::json& object, const char* name) {
  return Hex(object.at(name).get<std::string>());
}

inline bool AllZero(ByteView bytes) {
  for (std::uint8_t b : bytes) {
    if (b != 0) {
      return false;
    }
  }
  return true;
}

}  // namespace coffer::crypto::testing
