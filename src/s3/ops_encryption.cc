// Bucket default encryption: Put/Get/DeleteBucketEncryption.
#include "s3/ops.h"

namespace coffer::s3 {

std::vector<Operation> EncryptionOperations() { return {}; }

}  // namespace coffer::s3
