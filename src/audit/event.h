// Builds audit events in CloudTrail's record format (eventVersion 1.08):
// one per API request (from the router's RequestTrace) and one per background
// action (AWS Service Event). Request and response members that carry
// plaintext, ciphertext, key material or secret values are removed; what
// remains is camelCased as CloudTrail writes it.
#pragma once

#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>

#include "server/request_hooks.h"

namespace coffer::audit {

// Background action by the service itself (rotation, deletion, expiry).
struct ServiceAction {
  std::string event_name;  // "RotateKey", "DeleteKey", "DeleteExpiredKeyMaterial"
  std::string service;     // "kms"
  std::string region;
  std::string account_id;
  std::string key_arn;  // the resource: a KMS key, or (with resource_type) another service's
  TimePoint time;
  std::string resource_type = "AWS::KMS::Key";  // "AWS::SecretsManager::Secret"
};

// The member naming the node whose chain holds a record (cluster mode only).
inline constexpr std::string_view kNodeIdMember = "cofferNodeId";

// Each returns the record's compact JSON text, written member by member
// (no DOM: this runs once per request). A non-empty `node_id` is written as
// kNodeIdMember.
std::string BuildApiEvent(const server::RequestTrace& trace, std::string_view event_id,
                          std::string_view default_region, std::string_view node_id = {});
std::string BuildServiceEvent(const ServiceAction& action, std::string_view event_id,
                              std::string_view node_id = {});

// "kms" -> "kms.amazonaws.com".
std::string EventSource(std::string_view service);
inline constexpr std::string_view kEventSourceSuffix = ".amazonaws.com";
// The same in `buffer`; empty when it does not fit (a service name longer
// than 50 characters, which no front has).
std::string_view EventSourceInto(std::string_view service, std::span<char, 64> buffer);
// Whether CloudTrail marks the operation readOnly.
bool IsReadOnly(std::string_view operation);
// CloudTrail data events (S3 object-level operations): recorded in the trail,
// not shown by LookupEvents.
bool IsDataEvent(std::string_view service, std::string_view operation);
// Request or response members with secrets removed and names camelCased,
// as JSON text.
std::string SanitizedJson(const nlohmann::json& members);

}  // namespace coffer::audit
