// Shared helpers for the envelope tests: oracle files and manifest keyrings.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>

#include "coffer/envelope.h"
#include "common/encoding.h"

namespace coffer::envelope::testing {

inline std::string OracleFile(const std::string& relative) {
  return std::string(COFFER_ORACLES_DIR) + "/" + relative;
}

inline Bytes ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) ADD_FAILURE() << "cannot open " << path;
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline nlohmann::json LoadJson(const std::string& path) {
  const Bytes bytes = ReadFileBytes(path);
  nlohmann::json parsed =
      nlohmann::json::parse(bytes.begin(), bytes.end(), nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) ADD_FAILURE() << "cannot parse " << path;
  return parsed;
}

// Base64 field of a vector; surrounding spaces (one vector has one) ignored.
inline Bytes B64(std::string text) {
  text.erase(0, text.find_first_not_of(' '));
  text.erase(text.find_last_not_of(' ') + 1);
  auto bytes = Base64Decode(text);
  if (!bytes) ADD_FAILURE() << "bad base64 in test data";
  return bytes.value_or(Bytes{});
}

// A raw AES keyring over a fixed 32-byte key, for round trips.
inline std::unique_ptr<Keyring> TestAesKeyring(std::uint8_t fill = 0x42) {
  auto keyring = NewRawAesKeyring("coffer-test", "aes-key", SecretBytes(Bytes(32, fill)));
  EXPECT_TRUE(keyring.ok());
  return keyring.ok() ? std::move(keyring).value() : nullptr;
}

}  // namespace coffer::envelope::testing
