// Cluster mode (several nodes on one PostgreSQL store): what a node's caches
// forget when another node writes, and the gate that lets one node at a
// time run the sweeper.
#pragma once

#include <functional>
#include <memory>
#include <string_view>

#include "auth/sigv4.h"
#include "iam/identity_store.h"
#include "kms/authorizer.h"
#include "kms/key_store.h"
#include "store/store.h"

namespace coffer::server {

// Every cache of a node whose contents another node's writes can make stale.
struct NodeCaches {
  kms::KeyStore& keys;                  // key records and material, aliases
  iam::IdentityStore& identities;       // principals, identity policies
  auth::SigV4Verifier& verifier;        // signing keys of access keys
  kms::Authorizer& authorizer;          // decisions (key policies, grants, IAM)
  std::function<void()> reload_quotas;  // quota overrides (admin set-quota)
};

// Forgets what `notice` may have made stale: by table when it names tables
// (a table this file does not know forgets everything), else everything.
void ForgetChanged(const store::ChangeNotice& notice, NodeCaches& caches);

// Whether this node runs the sweeper now. Without a lock (one node on
// SQLite) always; with one, while it holds it. Logs when leadership moves.
class SweeperGate {
 public:
  explicit SweeperGate(std::unique_ptr<store::LeaderLock> lock) : lock_(std::move(lock)) {}
  bool ShouldSweep();

 private:
  std::unique_ptr<store::LeaderLock> lock_;
  bool leading_ = false;
};

}  // namespace coffer::server
