// A parameter as Parameter Store keeps it: its current attributes and up to
// 100 versions (oldest first). SecureString values are stored only as the
// base64 KMS ciphertext, which is also what callers get without
// WithDecryption.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/status_or.h"

namespace coffer::ssm {

struct ParameterVersion {
  std::int64_t version = 0;
  std::string value;  // plaintext (String/StringList) or base64 ciphertext (SecureString)
  std::string type;
  std::string key_id;   // SecureString only
  std::string sealing;  // SecureString: "" (KMS Encrypt) or "envelope" (data key + AES-GCM)
  std::string description;
  std::string allowed_pattern;
  std::string tier;
  std::string data_type = "text";
  std::string policies;  // the caller's JSON array text, empty for none
  std::int64_t modified_ms = 0;
  std::string modified_user;
  std::vector<std::string> labels;
};

struct ParameterRecord {
  std::string account;
  std::string region;
  std::string name;  // as stored: "/a/b" or "plain"
  std::map<std::string, std::string> tags;
  std::vector<ParameterVersion> versions;  // ascending, never empty
  std::int64_t last_version = 0;           // versions keep counting after pruning
  // Policy bookkeeping (sweeper): notifications already sent, by policy text.
  std::vector<std::string> notified;

  const ParameterVersion& current() const { return versions.back(); }
  ParameterVersion& current() { return versions.back(); }
};

nlohmann::json ToJson(const ParameterRecord& r);
StatusOr<ParameterRecord> ParameterFromJson(const nlohmann::json& j);

}  // namespace coffer::ssm
