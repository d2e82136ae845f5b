// The one table from an S3 operation name to its function. An operation is
// on the wire only when the model routes to it (api/rest_routes.h) and this
// table has it; the model's other operations answer NotImplemented.
#include <algorithm>

#include "s3/ops.h"

namespace coffer::s3 {

const std::vector<Operation>& Operations() {
  static const std::vector<Operation> kOperations = [] {
    std::vector<Operation> ops = {
        {"CreateBucket", CreateBucket, nullptr},
        {"HeadBucket", HeadBucket, nullptr},
        {"DeleteBucket", DeleteBucket, nullptr},
        {"ListBuckets", ListBuckets, nullptr},
        {"GetBucketLocation", GetBucketLocation, nullptr},
        {"PutBucketTagging", PutBucketTagging, nullptr},
        {"GetBucketTagging", GetBucketTagging, nullptr},
        {"DeleteBucketTagging", DeleteBucketTagging, nullptr},
        {"PutPublicAccessBlock", PutPublicAccessBlock, nullptr},
        {"GetPublicAccessBlock", GetPublicAccessBlock, nullptr},
        {"DeletePublicAccessBlock", DeletePublicAccessBlock, nullptr},
        {"PutBucketVersioning", PutBucketVersioning, nullptr},
        {"GetBucketVersioning", GetBucketVersioning, nullptr},
        {"ListObjectVersions", ListObjectVersions, nullptr},
        {"PutObject", nullptr, PutObject},
        {"GetObject", GetObject, nullptr},
        {"HeadObject", HeadObject, nullptr},
        {"DeleteObject", DeleteObject, nullptr},
        {"DeleteObjects", DeleteObjects, nullptr},
        {"CopyObject", CopyObject, nullptr},
        {"PutObjectTagging", PutObjectTagging, nullptr},
        {"GetObjectTagging", GetObjectTagging, nullptr},
        {"DeleteObjectTagging", DeleteObjectTagging, nullptr},
        {"GetObjectAttributes", GetObjectAttributes, nullptr},
        {"ListObjectsV2", ListObjectsV2, nullptr},
        {"ListObjects", ListObjects, nullptr},
        {"ListMultipartUploads", ListMultipartUploads, nullptr},
        {"CreateMultipartUpload", CreateMultipartUpload, nullptr},
        {"UploadPart", nullptr, UploadPart},
        {"UploadPartCopy", UploadPartCopy, nullptr},
        {"CompleteMultipartUpload", CompleteMultipartUpload, nullptr},
        {"AbortMultipartUpload", AbortMultipartUpload, nullptr},
        {"ListParts", ListParts, nullptr},
    };
    for (auto group : {EncryptionOperations(), PolicyOperations()}) {
      ops.insert(ops.end(), group.begin(), group.end());
    }
    return ops;
  }();
  return kOperations;
}

const Operation* FindOperation(std::string_view name) {
  const auto& ops = Operations();
  const auto it =
      std::find_if(ops.begin(), ops.end(), [name](const Operation& op) { return op.name == name; });
  return it == ops.end() ? nullptr : &*it;
}

}  // namespace coffer::s3
