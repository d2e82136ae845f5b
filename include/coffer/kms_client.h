// A small AWS KMS client for the KMS keyring: JSON 1.1 over HTTP(S), SigV4,
// retries with exponential backoff and full jitter on ThrottlingException,
// 5xx answers and network errors. Works against Coffer and AWS KMS.
//
// Configuration (ResolveKmsConfig), first match wins:
//   endpoint:    explicit > AWS_ENDPOINT_URL_KMS > AWS_ENDPOINT_URL > https://kms.<region>.amazonaws.com
//   region:      explicit > AWS_REGION > AWS_DEFAULT_REGION > the profile's region in
//                AWS_CONFIG_FILE (~/.aws/config)
//   credentials: explicit > AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN)
//                > the profile in AWS_SHARED_CREDENTIALS_FILE (~/.aws/credentials)
//   profile:     explicit > AWS_PROFILE > "default"
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "coffer/envelope.h"
#include "common/clock.h"
#include "common/random.h"

namespace coffer::envelope {

struct KmsClientOptions {
  std::string endpoint;  // scheme://host[:port]
  std::string region;
  std::string profile;
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;
  std::string ca_bundle;  // PEM file for HTTPS; empty: AWS_CA_BUNDLE or the system store
  int max_attempts = 5;   // first try included
  std::chrono::milliseconds base_delay{50};
  std::chrono::milliseconds max_delay{5000};
  std::chrono::seconds io_timeout{30};
};

// The process environment, injectable for tests.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;
EnvLookup ProcessEnvironment();

// Fills every empty field of `explicit_options` from the environment and the
// shared files; fails naming what is missing (region, credentials).
StatusOr<KmsClientOptions> ResolveKmsConfig(const KmsClientOptions& explicit_options, const EnvLookup& env);

struct HttpResponse {
  int status = 0;
  std::string body;
};

struct HttpCall {
  std::string method;
  std::string target;  // path and query
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

// One HTTP exchange; kUnavailable for a network failure (retried).
class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  virtual StatusOr<HttpResponse> Send(const HttpCall& call) = 0;
};

// HTTP and HTTPS (certificate and host name verified) with Boost.Beast.
StatusOr<std::unique_ptr<HttpTransport>> NewBeastTransport(const KmsClientOptions& options);

class Sleeper {
 public:
  virtual ~Sleeper() = default;
  virtual void Sleep(std::chrono::milliseconds duration) = 0;
};
std::unique_ptr<Sleeper> NewRealSleeper();

struct KmsDataKey {
  std::string key_id;  // the key ARN KMS answered with
  SecretBytes plaintext;
  Bytes ciphertext;
};

struct KmsDecrypted {
  std::string key_id;
  SecretBytes plaintext;
};

// Errors from KMS keep their wire name in the message ("NotFoundException:
// ...") and map to the matching ErrorCode where Coffer has one.
class KmsClient {
 public:
  struct Deps {
    std::unique_ptr<HttpTransport> transport;
    std::unique_ptr<Sleeper> sleeper;
    std::shared_ptr<RandomSource> random;  // jitter
    const Clock* clock = nullptr;          // request time for SigV4
  };
  // Real transport, sleeper, randomness and clock.
  static StatusOr<std::unique_ptr<KmsClient>> Create(const KmsClientOptions& resolved);
  static StatusOr<std::unique_ptr<KmsClient>> Create(const KmsClientOptions& resolved, Deps deps);

  StatusOr<KmsDataKey> GenerateDataKey(const std::string& key_id, std::size_t number_of_bytes,
                                       const EncryptionContext& context);
  StatusOr<KmsDataKey> Encrypt(const std::string& key_id, ByteView plaintext,
                               const EncryptionContext& context);
  StatusOr<KmsDecrypted> Decrypt(const std::string& key_id, ByteView ciphertext,
                                 const EncryptionContext& context);

  const KmsClientOptions& options() const { return options_; }

 private:
  KmsClient(KmsClientOptions options, Deps deps) : options_(std::move(options)), deps_(std::move(deps)) {}
  // Sends one JSON 1.1 call with retries; the parsed response body.
  StatusOr<std::string> Call(const std::string& operation, const std::string& body);
  std::chrono::milliseconds Backoff(int attempt);

  KmsClientOptions options_;
  Deps deps_;
};

// KMS keyring (framework/aws-kms/aws-kms-keyring.md): the generator key makes
// the data key with GenerateDataKey, further keys wrap it with Encrypt; on
// decrypt only EDKs whose provider info is one of these key ARNs are tried,
// with Decrypt naming that KeyId. key_ids may be key ARNs, key ids, alias
// names or alias ARNs for encryption; decryption needs key ARNs.
StatusOr<std::unique_ptr<Keyring>> NewKmsKeyring(std::shared_ptr<KmsClient> client,
                                                 std::vector<std::string> key_ids);

// Discovery keyring (aws-kms-discovery-keyring.md): decrypt-only; tries each
// "aws-kms" EDK whose key ARN passes the filter (partition and
// account ids), with Decrypt naming the EDK's key ARN. No filter: any ARN.
struct DiscoveryFilter {
  std::string partition = "aws";
  std::vector<std::string> account_ids;  // at least one (the spec requires it)
};
StatusOr<std::unique_ptr<Keyring>> NewKmsDiscoveryKeyring(std::shared_ptr<KmsClient> client,
                                                          std::optional<DiscoveryFilter> filter);

}  // namespace coffer::envelope
