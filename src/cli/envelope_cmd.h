// `coffer encrypt` / `coffer decrypt`: files, directories and pipes in the
// AWS Encryption SDK message format, with KMS, raw AES and raw RSA keyrings.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace coffer::cli {

struct EnvelopeArgs {
  std::string input, output;
  std::vector<std::string> kms_keys;
  bool discovery = false;
  std::vector<std::string> discovery_accounts;
  std::string discovery_partition = "aws";
  std::vector<std::string> context;         // encrypt: k=v
  std::vector<std::string> expect_context;  // decrypt: k=v that must be in the message
  std::uint32_t frame_length = 4096;
  std::string suite;
  std::string commitment_policy = "require-encrypt-require-decrypt";
  std::size_t max_encrypted_data_keys = 0;
  std::string raw_aes_key_file, raw_rsa_key_file, key_namespace = "coffer", key_name;
  std::string rsa_padding = "oaep-sha256";
  std::string endpoint_url, region, profile;
  bool recursive = false, force = false, no_progress = false, release_unverified = false;
};

// Registers both subcommands on `app`; Run() after parsing.
class EnvelopeCommands {
 public:
  explicit EnvelopeCommands(CLI::App& app);
  // The exit code when one of the two subcommands was given, nullopt otherwise.
  std::optional<int> Run();

 private:
  CLI::App* encrypt_ = nullptr;
  CLI::App* decrypt_ = nullptr;
  EnvelopeArgs encrypt_args_, decrypt_args_;
};

}  // namespace coffer::cli
