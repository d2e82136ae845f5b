// s3:ExistingObjectTag/<key>: the tags of the object a request acts on, as
// condition values. S3 supplies them for actions on an existing object
// (reads, ACL and tagging changes), never for PutObject or DeleteObject,
// which may not depend on the tags of what they overwrite or remove.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/status_or.h"
#include "policy/policy.h"
#include "s3/records.h"
#include "store/store.h"

namespace coffer::s3 {

// Whether S3 supplies s3:ExistingObjectTag/<key> for this action.
bool SupportsExistingObjectTag(std::string_view action);

// Whether any condition of `policy` reads s3:ExistingObjectTag/<key>: the
// object's tags are loaded only when a policy that applies could need them.
bool ReadsExistingObjectTag(const policy::Policy& policy);

// One key per tag: s3:ExistingObjectTag/<tag key> = <tag value>.
void AddExistingObjectTagKeys(const Tags& tags, policy::ContextKeys& keys);

// The tags of the object (of `version_id` when given); nullopt when there is
// no such object or it is a delete marker (no tag key then has a value).
StatusOr<std::optional<Tags>> LoadExistingTags(store::Txn& txn, std::string_view bucket, std::string_view key,
                                               const std::string* version_id);

}  // namespace coffer::s3
