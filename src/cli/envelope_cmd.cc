#include "cli/envelope_cmd.h"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>

#include "cli/envelope_io.h"
#include "cli/envelope_keyrings.h"

namespace coffer::cli {
namespace {

namespace fs = std::filesystem;
using envelope::CryptoMaterialsManager;

constexpr std::string_view kEncryptedSuffix = ".encrypted";

void AddCommonFlags(CLI::App& cmd, EnvelopeArgs& a) {
  cmd.add_option("input", a.input, "Input file, directory (with --recursive) or - for stdin")->required();
  cmd.add_option("output", a.output, "Output file, directory or - for stdout")->required();
  cmd.add_option("--key", a.kms_keys,
                 "KMS key (ARN; on encrypt also key id, alias name or alias ARN); repeatable");
  cmd.add_option("--raw-aes-key-file", a.raw_aes_key_file,
                 "Raw AES keyring: file with a 16/24/32-byte key (raw or base64)");
  cmd.add_option("--raw-rsa-key-file", a.raw_rsa_key_file,
                 "Raw RSA keyring: PEM key (public suffices to encrypt)");
  cmd.add_option("--key-namespace", a.key_namespace, "Raw keyring key namespace")->capture_default_str();
  cmd.add_option("--key-name", a.key_name, "Raw keyring key name (default: the key file's name)");
  cmd.add_option("--rsa-padding", a.rsa_padding,
                 "pkcs1 | oaep-sha1 | oaep-sha256 | oaep-sha384 | oaep-sha512")
      ->capture_default_str();
  cmd.add_option(
         "--commitment-policy", a.commitment_policy,
         "require-encrypt-require-decrypt | require-encrypt-allow-decrypt | forbid-encrypt-allow-decrypt")
      ->capture_default_str();
  cmd.add_option("--max-encrypted-data-keys", a.max_encrypted_data_keys,
                 "Limit on encrypted data keys (0: none)");
  cmd.add_option("--endpoint-url", a.endpoint_url,
                 "KMS endpoint (default: AWS_ENDPOINT_URL_KMS, AWS_ENDPOINT_URL, AWS)");
  cmd.add_option("--region", a.region, "KMS region (default: AWS_REGION, profile, key ARN)");
  cmd.add_option("--profile", a.profile, "Shared credentials profile (default: AWS_PROFILE or default)");
  cmd.add_flag("--recursive,-r", a.recursive, "Process every file under the input directory");
  cmd.add_flag("--force", a.force, "Overwrite existing output files");
  cmd.add_flag("--no-progress", a.no_progress, "Never draw a progress bar");
}

// Where a file's output goes when the output names a directory.
fs::path OutputName(const fs::path& input, bool encrypt) {
  std::string name = input.filename().string();
  if (encrypt) return name + std::string(kEncryptedSuffix);
  if (name.size() > kEncryptedSuffix.size() && name.ends_with(kEncryptedSuffix)) {
    return name.substr(0, name.size() - kEncryptedSuffix.size());
  }
  return name + ".decrypted";
}

class Runner {
 public:
  Runner(const EnvelopeArgs& args, bool encrypt, CryptoMaterialsManager& cmm,
         envelope::EncryptionContext context, envelope::EncryptOptions encrypt_options,
         envelope::DecryptOptions decrypt_options)
      : args_(args),
        encrypt_(encrypt),
        cmm_(cmm),
        context_(std::move(context)),
        encrypt_options_(encrypt_options),
        decrypt_options_(std::move(decrypt_options)) {}

  Status Run();

 private:
  Status RunTree(const fs::path& in, const fs::path& out);
  Status RunFile(const fs::path& in, const fs::path& out);
  // One stream from fd `in` to `sink`; `to_file` lets signed plaintext flow
  // into the (uncommitted) temp file before the footer verifies.
  Status Stream(int in, envelope::Sink& sink, bool to_file, const ProgressOptions& progress);

  const EnvelopeArgs& args_;
  bool encrypt_;
  CryptoMaterialsManager& cmm_;
  envelope::EncryptionContext context_;
  envelope::EncryptOptions encrypt_options_;
  envelope::DecryptOptions decrypt_options_;
};

Status Runner::Stream(int in, envelope::Sink& sink, bool to_file, const ProgressOptions& progress) {
  if (encrypt_) {
    ASSIGN_OR_RETURN(auto encryptor, envelope::Encryptor::Create(cmm_, context_, encrypt_options_));
    RETURN_IF_ERROR(PumpFd(
        in, [&](ByteView chunk) { return encryptor->Update(chunk, sink); }, progress));
    return encryptor->Finish(sink);
  }
  envelope::StreamOptions stream;
  if (to_file || args_.release_unverified)
    stream.unverified_plaintext = envelope::UnverifiedPlaintext::kRelease;
  ASSIGN_OR_RETURN(auto decryptor, envelope::Decryptor::Create(cmm_, decrypt_options_, stream));
  RETURN_IF_ERROR(PumpFd(
      in, [&](ByteView chunk) { return decryptor->Update(chunk, sink); }, progress));
  return decryptor->Finish(sink);
}

Status Runner::RunFile(const fs::path& in, const fs::path& out) {
  const bool from_stdin = in == "-";
  const int fd = from_stdin ? STDIN_FILENO : ::open(in.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ValidationError("cannot open input " + in.string());
  std::error_code ec;
  ProgressOptions progress{!args_.no_progress && out != "-", in.filename().string(),
                           from_stdin ? 0 : static_cast<std::uint64_t>(fs::file_size(in, ec))};
  Status status = Status::Ok();
  if (out == "-") {
    FdSink sink(STDOUT_FILENO);
    status = Stream(fd, sink, false, progress);
  } else if (!from_stdin && fs::exists(out, ec) && fs::equivalent(in, out, ec)) {
    status = ValidationError("input and output are the same file: " + in.string());
  } else {
    auto file = AtomicOutput::Create(out, args_.force, !encrypt_);
    status = file.ok() ? Stream(fd, **file, true, progress) : file.status();
    if (status.ok()) status = (*file)->Commit();
  }
  if (!from_stdin) ::close(fd);
  if (!status.ok()) return Status(status.code(), in.string() + ": " + status.message());
  return status;
}

Status Runner::RunTree(const fs::path& in, const fs::path& out) {
  std::error_code ec;
  fs::create_directories(out, ec);
  if (ec) return ValidationError("cannot create output directory " + out.string() + ": " + ec.message());
  for (auto it = fs::recursive_directory_iterator(in, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    const fs::path relative = fs::relative(it->path(), in, ec);
    if (it->is_directory()) {
      fs::create_directories(out / relative, ec);
    } else if (it->is_regular_file()) {
      RETURN_IF_ERROR(RunFile(it->path(), out / relative.parent_path() / OutputName(it->path(), encrypt_)));
    }
  }
  if (ec) return ValidationError("cannot walk " + in.string() + ": " + ec.message());
  return Status::Ok();
}

Status Runner::Run() {
  const fs::path in = args_.input, out = args_.output;
  std::error_code ec;
  if (in != "-" && fs::is_directory(in, ec)) {
    if (!args_.recursive)
      return ValidationError("input " + in.string() + " is a directory (use --recursive)");
    if (out == "-" || (fs::exists(out, ec) && !fs::is_directory(out, ec))) {
      return ValidationError("with a directory input the output must be a directory");
    }
    return RunTree(in, out);
  }
  if (in != "-" && !fs::is_regular_file(in, ec))
    return ValidationError("input " + in.string() + " is not a file");
  if (out != "-" && fs::is_directory(out, ec)) {
    return RunFile(
        in, out / (in == "-" ? fs::path(encrypt_ ? "stdin.encrypted" : "stdin") : OutputName(in, encrypt_)));
  }
  return RunFile(in, out);
}

Status Execute(const EnvelopeArgs& args, bool encrypt) {
  ASSIGN_OR_RETURN(auto keyring, BuildKeyring(args, encrypt ? Direction::kEncrypt : Direction::kDecrypt));
  ASSIGN_OR_RETURN(envelope::EncryptionContext context, ParseContextPairs(args.context, "--context"));
  ASSIGN_OR_RETURN(envelope::EncryptionContext expected,
                   ParseContextPairs(args.expect_context, "--expect-context"));
  envelope::EncryptOptions encrypt_options;
  envelope::DecryptOptions decrypt_options;
  if (encrypt) {
    ASSIGN_OR_RETURN(encrypt_options, BuildEncryptOptions(args));
  } else {
    ASSIGN_OR_RETURN(decrypt_options, BuildDecryptOptions(args));
  }
  ASSIGN_OR_RETURN(auto cmm, BuildCmm(keyring, std::move(expected)));
  Runner runner(args, encrypt, *cmm, std::move(context), encrypt_options, std::move(decrypt_options));
  return runner.Run();
}

}  // namespace

EnvelopeCommands::EnvelopeCommands(CLI::App& app) {
  encrypt_ = app.add_subcommand("encrypt", "Encrypt files or a stream (AWS Encryption SDK message format)");
  AddCommonFlags(*encrypt_, encrypt_args_);
  encrypt_->add_option("--context", encrypt_args_.context, "Encryption context pair key=value; repeatable");
  encrypt_
      ->add_option("--frame-length", encrypt_args_.frame_length, "Plaintext bytes per frame (0: unframed)")
      ->capture_default_str();
  encrypt_->add_option(
      "--suite", encrypt_args_.suite,
      "Algorithm suite name or id (default 0x0578 AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384)");
  decrypt_ = app.add_subcommand("decrypt", "Decrypt files or a stream (AWS Encryption SDK message format)");
  AddCommonFlags(*decrypt_, decrypt_args_);
  decrypt_->add_flag("--discovery", decrypt_args_.discovery,
                     "KMS discovery: decrypt with any KMS key the caller may use");
  decrypt_->add_option("--discovery-account", decrypt_args_.discovery_accounts,
                       "Discovery filter: only keys of this account; repeatable");
  decrypt_
      ->add_option("--discovery-partition", decrypt_args_.discovery_partition, "Discovery filter partition")
      ->capture_default_str();
  decrypt_->add_option("--expect-context", decrypt_args_.expect_context,
                       "Pair key=value the message's context must hold; repeatable");
  decrypt_->add_flag("--release-unverified", decrypt_args_.release_unverified,
                     "To stdout: stream a signed message's plaintext before its signature is verified");
}

std::optional<int> EnvelopeCommands::Run() {
  const bool encrypt = encrypt_->parsed();
  if (!encrypt && !decrypt_->parsed()) return std::nullopt;
  Status status = Execute(encrypt ? encrypt_args_ : decrypt_args_, encrypt);
  if (!status.ok()) {
    std::cerr << "error: " << status.message() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace coffer::cli
