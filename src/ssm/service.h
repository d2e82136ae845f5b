// AWS Systems Manager Parameter Store: the Parameter Store operations of the
// SSM 2014-11-06 API over the parameter table, SecureString values through
// KMS on the caller's behalf, identity-policy authorization on parameter
// ARNs, parameter policies (the sweeper), and Secrets Manager references.
// Every other SSM operation answers UnsupportedOperationException. One
// instance serves every account and region of the process.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "api/service_model.h"
#include "common/clock.h"
#include "kms/service_client.h"
#include "policy/identity_source.h"
#include "server/request_hooks.h"
#include "ssm/record.h"
#include "ssm/secret_references.h"
#include "store/store.h"

namespace coffer::ssm {

using Json = nlohmann::json;

struct Caller {
  policy::CallerInfo who;
  std::string account;
  std::string region;
};

// A Parameter Store event for the trail and the webhook (the sweeper's
// expirations and notifications), in EventBridge's "Parameter Store Policy
// Action" / "Parameter Store Change" terms.
struct ServiceEvent {
  std::string detail_type;  // "Parameter Store Policy Action" or "Parameter Store Change"
  std::string event_name;   // "Expiration", "ExpirationNotification", "NoChangeNotification", "Delete"
  std::string account;
  std::string region;
  std::string name;
  std::string arn;
  std::string type;
  std::string policy_text;
};

class ParameterStore {
 public:
  ParameterStore(store::Store& store, kms::ServiceKms& kms, policy::IdentityPolicySource& identities,
                 const Clock& clock);

  StatusOr<Json> Call(const server::FrontCall& call);
  server::ServiceFront Front(const api::ServiceModel& model);
  StatusOr<Json> Run(const Caller& caller, std::string_view operation, const Json& body);

  // Deletes expired parameters and sends due notifications. Returns how many events happened.
  StatusOr<int> RunSweeper();

  void SetSecretReferences(SecretReferences* refs) { refs_ = refs; }
  // The account's /ssm/parameter-store/high-throughput-enabled setting (the
  // request quotas ask on every Get*; cached, refreshed by this process's
  // Update/ResetServiceSetting). A store error reads as the default (false).
  bool HigherThroughput(std::string_view account, std::string_view region);
  // Drops every cached setting (cluster mode: another node changed one).
  void ForgetThroughputSettings();
  void SetEventSink(std::function<void(const ServiceEvent&)> sink) { events_ = std::move(sink); }

 private:
  // ops_put.cc
  StatusOr<Json> PutParameter(const Caller& c, const Json& req);
  // ops_get.cc
  StatusOr<Json> GetParameter(const Caller& c, const Json& req);
  StatusOr<Json> GetParameters(const Caller& c, const Json& req);
  StatusOr<Json> GetParameterHistory(const Caller& c, const Json& req);
  StatusOr<Json> DeleteParameter(const Caller& c, const Json& req);
  StatusOr<Json> DeleteParameters(const Caller& c, const Json& req);
  // ops_browse.cc
  StatusOr<Json> GetParametersByPath(const Caller& c, const Json& req);
  StatusOr<Json> DescribeParameters(const Caller& c, const Json& req);
  // ops_labels.cc
  StatusOr<Json> LabelParameterVersion(const Caller& c, const Json& req);
  StatusOr<Json> UnlabelParameterVersion(const Caller& c, const Json& req);
  // ops_tags.cc
  StatusOr<Json> AddTagsToResource(const Caller& c, const Json& req);
  StatusOr<Json> RemoveTagsFromResource(const Caller& c, const Json& req);
  StatusOr<Json> ListTagsForResource(const Caller& c, const Json& req);
  // ops_settings.cc
  StatusOr<Json> GetServiceSetting(const Caller& c, const Json& req);
  StatusOr<Json> UpdateServiceSetting(const Caller& c, const Json& req);
  StatusOr<Json> ResetServiceSetting(const Caller& c, const Json& req);
  StatusOr<std::string> DefaultTier(store::Txn& txn, const Caller& c);
  void ForgetThroughput(const Caller& c);

  // service.cc
  // OK or AccessDeniedException in AWS's words, for `action` ("GetParameter") on `name`.
  Status Authorize(const Caller& c, std::string_view action, std::string_view name,
                   const ParameterRecord* record);
  kms::ViaService Via(const Caller& c) const;
  std::int64_t NowMs() const;
  // The parameter's JSON as GetParameter(s) returns it; decrypts when asked.
  StatusOr<Json> Output(const Caller& c, const ParameterRecord& r, const ParameterVersion& v, bool decrypt,
                        const std::string& selector);
  // A reference parameter (/aws/reference/secretsmanager/...).
  StatusOr<Json> Reference(const Caller& c, std::string_view name, std::string_view selector, bool decrypt);
  // `envelope`: a KMS data key and AES-256-GCM (advanced tier), else one
  // KMS Encrypt of the value (standard tier, values up to 4 KB).
  StatusOr<std::string> Encrypt(const Caller& c, std::string_view key_id, std::string_view arn,
                                std::string_view plaintext, bool envelope);
  StatusOr<std::string> Decrypt(const Caller& c, const ParameterVersion& v, std::string_view arn);
  void Emit(ServiceEvent event);

  store::Store& store_;
  kms::ServiceKms& kms_;
  policy::IdentityPolicySource& identities_;
  const Clock& clock_;
  SecretReferences* refs_ = nullptr;
  std::function<void(const ServiceEvent&)> events_;
  std::mutex throughput_mu_;
  std::map<std::string, bool, std::less<>> throughput_;  // "account/region" -> setting
};

// The Policies member of history and metadata entries (ops_get.cc).
Json PoliciesJson(const std::string& text, std::int64_t now_ms);

// Milliseconds as the API's epoch seconds (a double).
inline double Seconds(std::int64_t ms) { return static_cast<double>(ms) / 1000.0; }

}  // namespace coffer::ssm
