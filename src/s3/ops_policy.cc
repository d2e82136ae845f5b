// Bucket policies: Put/Get/DeleteBucketPolicy, GetBucketPolicyStatus.
#include "s3/ops.h"

namespace coffer::s3 {

std::vector<Operation> PolicyOperations() { return {}; }

}  // namespace coffer::s3
