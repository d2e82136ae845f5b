// KMS authorization as AWS KMS decides it. For an action on a key:
//   - an explicit Deny in the key policy or in an identity policy denies;
//   - the key policy allowing the caller itself (or "*") allows;
//   - the key policy allowing the caller's account (root) allows when an
//     identity policy of the caller allows too;
//   - a grant on the key for the caller and action allows;
//   - a caller of another account needs the key policy (naming its account
//     or itself) and an identity policy of its own account, or a grant.
// Actions without a key (CreateKey, ListKeys, ...) need an identity policy.
// Decisions are cached per (caller, key, action, condition inputs) and the
// cache is dropped on any policy, grant or IAM change.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/clock.h"
#include "kms/key_record.h"
#include "policy/identity_source.h"
#include "policy/policy.h"

namespace coffer::kms {

struct RequestContext;
class RequestSink;

// A grant as authorization needs it (grants.h stores and lists them).
struct GrantView {
  std::string grant_id;
  std::string grantee_principal;
  std::vector<std::string> operations;  // "Encrypt", "Decrypt", ...
  std::map<std::string, std::string> context_equals;
  std::map<std::string, std::string> context_subset;
};

class GrantSource {
 public:
  virtual ~GrantSource() = default;
  virtual StatusOr<std::vector<GrantView>> GrantsFor(const KeyRecord& key) = 0;
};

// The aliases currently pointing at a key (kms:ResourceAliases).
class AliasSource {
 public:
  virtual ~AliasSource() = default;
  virtual StatusOr<std::vector<std::string>> AliasesOf(const KeyRecord& key) = 0;
};

// Why a request was allowed or denied, for AccessDenied messages and
// SimulatePrincipalPolicy-style explanations.
struct AuthzResult {
  bool allowed = false;
  policy::Evaluation key_policy;
  std::vector<policy::Evaluation> identity;
  bool identity_allows = false;
  bool identity_denies = false;
  std::string grant_id;  // the grant that allowed it, if any
};

class Authorizer {
 public:
  Authorizer(policy::IdentityPolicySource& identities, const Clock& clock);

  void SetGrants(GrantSource* grants) { grants_ = grants; }
  // Without one, kms:ResourceAliases is never present.
  void SetAliases(AliasSource* aliases) { aliases_ = aliases; }

  // kms:<Action> on `key`; AccessDeniedException in AWS's words when denied.
  Status AuthorizeKey(const RequestContext& ctx, const KeyRecord& key);
  // An action without a key resource: identity policies only.
  Status AuthorizeAccount(const RequestContext& ctx);

  // The full evaluation, uncached (PutKeyPolicy's lockout check, simulation).
  StatusOr<AuthzResult> Explain(const RequestContext& ctx, const KeyRecord& key,
                                const std::string& policy_text);

  // Drops every cached decision (policy, grant or user change).
  void Invalidate() { generation_.fetch_add(1, std::memory_order_relaxed); }

  // The parsed form of a stored key policy (cached by text).
  StatusOr<std::shared_ptr<const policy::Policy>> ParsedKeyPolicy(const std::string& text);

 private:
  std::uint64_t Generation() const;
  // BuildRequest plus the key's aliases. The aliases are condition inputs, so
  // they are part of every decision-cache key: an alias change is a new key.
  StatusOr<policy::Request> RequestFor(const RequestContext& ctx, const KeyRecord& key);
  // Into `out` (replacing its text).
  Status DecisionKeyFor(const RequestContext& ctx, const KeyRecord& key, std::string& out);
  Status AddAliases(const KeyRecord& key, RequestSink& out);
  StatusOr<AuthzResult> Evaluate(const RequestContext& ctx, const KeyRecord& key,
                                 const std::string& policy_text, const policy::Request& request);
  bool GrantAllows(const RequestContext& ctx, const KeyRecord& key, const policy::Request& request,
                   std::string* out_grant_id);

  policy::IdentityPolicySource& identities_;
  const Clock& clock_;
  GrantSource* grants_ = nullptr;
  AliasSource* aliases_ = nullptr;
  std::atomic<std::uint64_t> generation_{0};

  // Decisions in 16 mutex-sharded maps, so no lock is shared by all requests.
  struct DecisionShard {
    std::mutex mu;
    std::unordered_map<std::string, std::uint64_t> allowed;  // decision key -> generation when allowed
  };
  static constexpr std::size_t kShards = 16;
  DecisionShard& ShardFor(const std::string& key);
  std::array<DecisionShard, kShards> shards_;

  std::mutex parsed_mu_;  // only on decision-cache misses
  std::unordered_map<std::string, std::shared_ptr<const policy::Policy>> parsed_;  // policy text -> parsed
};

// Receives what authorizing a KMS call depends on, in a fixed order.
// Takes views: a sink that needs copies (a policy::Request) makes them, one
// that does not (the decision-cache key) appends the bytes and allocates nothing.
class RequestSink {
 public:
  virtual ~RequestSink() = default;
  virtual void Principal(const policy::Caller& caller) = 0;
  virtual void Resource(std::string_view arn) = 0;
  // The condition key `name` followed by `name_suffix` ("kms:EncryptionContext:"
  // and a context key), so a composed name is not built just to be copied.
  virtual void Key(std::string_view name, std::string_view name_suffix, std::string_view value) = 0;
  void Key(std::string_view name, std::string_view value) { Key(name, {}, value); }
  virtual void Keys(std::string_view name, std::span<const std::string_view> values) = 0;
};

// The caller, resource and every condition key of a KMS call, from the
// request body and the key; the time keys only when `now` is given.
void FillRequest(const RequestContext& ctx, const KeyRecord* key, std::optional<TimePoint> now,
                 RequestSink& out);

// Fills a policy::Request (whose action the caller sets).
class PolicyRequestSink final : public RequestSink {
 public:
  explicit PolicyRequestSink(policy::Request& r) : r_(r) {}
  using RequestSink::Key;
  void Principal(const policy::Caller& caller) override { r_.caller = caller; }
  void Resource(std::string_view arn) override { r_.resource = std::string(arn); }
  void Key(std::string_view name, std::string_view name_suffix, std::string_view value) override;
  void Keys(std::string_view name, std::span<const std::string_view> values) override;

 private:
  policy::Request& r_;
};

// The policy::Request of a KMS call (FillRequest into a policy::Request).
policy::Request BuildRequest(const RequestContext& ctx, const KeyRecord* key, TimePoint now);

// The same inputs as one flat string: the decision-cache key, built without
// the maps a policy::Request needs. Every field is length-prefixed, so two
// different inputs never give the same text.
class DecisionKeySink final : public RequestSink {
 public:
  explicit DecisionKeySink(std::string_view action) : DecisionKeySink(action, own_) {}
  // Writes into `text` (cleared first): a thread's reused buffer, say.
  DecisionKeySink(std::string_view action, std::string& text) : text_(text) {
    text_.clear();
    text_.reserve(1024);
    Field(action);
  }
  using RequestSink::Key;
  void Principal(const policy::Caller& caller) override;
  void Resource(std::string_view arn) override;
  void Key(std::string_view name, std::string_view name_suffix, std::string_view value) override;
  void Keys(std::string_view name, std::span<const std::string_view> values) override;
  std::string& text() { return text_; }

 private:
  void Field(std::string_view text, std::string_view more = {});
  std::string own_;  // before text_, which may refer to it
  std::string& text_;
};

// Whether a policy mentions time keys (its decisions cannot be cached).
bool MentionsTime(const policy::Policy& policy);

}  // namespace coffer::kms
