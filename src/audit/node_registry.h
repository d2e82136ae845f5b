// Cluster mode: the store's register of audit nodes. Each node publishes its
// digest signing public key under its node id when it starts, so a verifier
// with read access to the store knows every chain that must exist and the
// key each must be signed with, independently of the shared audit directory
// (whose own public-key.pem files only prove that the files agree).
#pragma once

#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/clock.h"
#include "common/status_or.h"
#include "store/store.h"

namespace coffer::audit {

inline constexpr std::string_view kNodeTable = "audit_nodes";

struct RegisteredNode {
  std::string node_id;
  std::string public_key_pem;
  std::string fingerprint;  // SHA-256 hex of the public key DER
  std::string registered_at;
};

// Publishes `node_id`'s key (once; later starts with the same key change
// nothing). kConflict when the id is registered with another key: another
// data directory uses the same --node-id, or the node's audit directory was
// replaced; its chain would no longer verify against the register.
Status RegisterNode(store::Store& store, const std::string& node_id, ByteView public_der, TimePoint now);

// Every registered node, ordered by node id.
StatusOr<std::vector<RegisteredNode>> ListRegisteredNodes(store::Store& store);

}  // namespace coffer::audit
