// Coffer's KMS as a client of an XKS proxy: the four XKS Proxy API calls,
// SigV4-signed with the proxy credential (signing name kms-xks-proxy), over
// HTTP or HTTPS (certificate and host name verified) with one deadline per
// call. The HTTP exchange is the envelope KMS client's Beast transport.
//
// A failed call's Status says what went wrong through FailureOf: the
// proxy's own errorName, no connection (or TLS) at all, no answer in time,
// or an answer that does not follow the specification. Those Status types
// are for the caller (xks/backend.cc) to map onto KMS's errors; they never
// go on the wire as they are.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "common/clock.h"
#include "common/secret_bytes.h"
#include "common/status_or.h"
#include "xks/wire.h"

namespace coffer::envelope {
class HttpTransport;
}

namespace coffer::xks {

struct ClientOptions {
  std::string uri_endpoint;  // http(s)://host[:port]
  std::string uri_path;      // [/prefix]/kms/xks/v1
  std::string access_key_id;
  SecretBytes secret;
  std::string region;  // the SigV4 scope's region: the calling KMS's region
  std::chrono::seconds timeout{2};
  std::string ca_bundle;  // PEM trust anchors for https; empty: the system store
};

enum class Failure { kProxyError, kNotReachable, kTimedOut, kInvalidResponse, kOther };

struct CallFailure {
  Failure kind = Failure::kOther;
  std::optional<ErrorName> proxy_error;  // set for kProxyError
};
CallFailure FailureOf(const Status& status);

class XksClient {
 public:
  // No network I/O; kValidation for a bad endpoint or path.
  static StatusOr<std::unique_ptr<XksClient>> Create(ClientOptions options, const Clock& clock);
  ~XksClient();
  XksClient(const XksClient&) = delete;
  XksClient& operator=(const XksClient&) = delete;

  StatusOr<HealthStatus> GetHealthStatus(const HealthRequest& request);
  StatusOr<KeyMetadata> GetKeyMetadata(std::string_view external_key_id, const MetadataRequest& request);
  // Checks the answer's lengths, and its integrity value when requested.
  StatusOr<EncryptResponse> Encrypt(std::string_view external_key_id, const EncryptRequest& request);
  StatusOr<SecretBytes> Decrypt(std::string_view external_key_id, const DecryptRequest& request);

 private:
  XksClient(ClientOptions options, std::string host_header,
            std::unique_ptr<envelope::HttpTransport> transport, const Clock& clock);
  // POSTs `body` to uri_path + `suffix`; the 200 answer's body, or the failure.
  StatusOr<std::string> Post(const std::string& suffix, std::string body);

  ClientOptions options_;
  std::string host_header_;
  std::unique_ptr<envelope::HttpTransport> transport_;
  const Clock& clock_;
};

}  // namespace coffer::xks
