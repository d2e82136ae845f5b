// The S3 service: buckets, objects and multipart uploads over the Store
// (records.h) and the encrypted blob store (blobs/), with authorization by the
// caller's identity policies. It never sees HTTP framing: the REST-XML front
// (front.h) hands it an S3Request (routed, authenticated, body decoded) and
// writes its S3Reply. One function per operation, in ops_*.cc, found through
// one table (Operations()).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/sigv4.h"
#include "blobs/blob_store.h"
#include "common/clock.h"
#include "common/random.h"
#include "common/status_or.h"
#include "policy/identity_source.h"
#include "s3/records.h"
#include "server/http_exchange.h"
#include "store/store.h"

namespace coffer::s3 {

struct S3Request {
  std::string request_id;
  std::string operation;  // "PutObject"
  std::string method;
  std::string bucket;                        // decoded; empty for ListBuckets
  std::string key;                           // decoded; empty for bucket operations
  std::map<std::string, std::string> query;  // decoded names and values
  std::vector<auth::Header> headers;
  std::string region;   // from the signature's scope
  std::string account;  // the caller's account
  policy::CallerInfo who;
  std::string body;  // decoded body of the operations that take a small XML body

  std::string_view Header(std::string_view name) const;  // any case; empty when absent
  bool HasHeader(std::string_view name) const;
  const std::string* Query(std::string_view name) const;  // nullptr when absent
};

struct S3Reply {
  int status = 200;
  std::vector<auth::Header> headers;
  std::string body;  // XML, or empty
  std::shared_ptr<server::BodySource> stream;
  std::optional<std::uint64_t> content_length;
};

// An object body being received (PutObject, UploadPart): bytes arrive
// decoded (aws-chunked framing and payload checks are the front's).
class UploadSink {
 public:
  virtual ~UploadSink() = default;
  virtual Status Write(std::string_view data) = 0;
  // The body is complete and its framing verified: check it against the
  // request's claims, make it durable and answer. `trailer_checksum` is the
  // base64 value of a trailing x-amz-checksum-* (empty when none came).
  virtual StatusOr<S3Reply> Finish(const std::string& trailer_checksum) = 0;
};

class ObjectSealer;

class S3Service {
 public:
  S3Service(store::Store& store, blobs::BlobStore& blobs, policy::IdentityPolicySource& identities,
            const Clock& clock, RandomSource& random);
  ~S3Service();
  S3Service(const S3Service&) = delete;
  S3Service& operator=(const S3Service&) = delete;

  // Server-side encryption with KMS and customer keys (encryption.h); KMS is
  // attached with sealer().SetKms(...).
  ObjectSealer& sealer() { return *sealer_; }

  store::Store& store() { return store_; }
  blobs::BlobStore& blobs() { return blobs_; }
  const Clock& clock() const { return clock_; }
  RandomSource& random() { return random_; }

  // OK, or AccessDenied: `action` on `resource` (an S3 ARN) as S3 decides it
  // from the caller's identity policies and the bucket's policy and Block
  // Public Access settings (bucket_policy.h). `bucket` is null for actions
  // on no bucket (CreateBucket, ListBuckets): identity policies alone, and
  // anonymous callers are refused.
  // `existing_tags`, when set, loads the tags of the addressed object; it is
  // called only for actions that take s3:ExistingObjectTag/<key> and only
  // when a policy in play has a condition on that key (existing_tags.h).
  using TagLoader = std::function<StatusOr<std::optional<Tags>>()>;
  Status Authorize(const S3Request& req, std::string_view action, std::string_view resource,
                   const BucketRecord* bucket, const TagLoader& existing_tags = {});
  // The bucket, authorized for `action` on the bucket or, with `key`, the object.
  StatusOr<BucketRecord> AuthorizedBucket(const S3Request& req, std::string_view action, bool object_level);
  // The same, read in the caller's transaction (a GET reads the bucket and
  // the object in one snapshot: one BEGIN and its WAL read locks, not two).
  StatusOr<BucketRecord> AuthorizedBucket(store::Txn& txn, const S3Request& req, std::string_view action,
                                          bool object_level);
  // Removes blobs no longer referenced (after the record that named them is gone).
  void RemoveBlobs(const std::vector<BlobRef>& parts);
  std::int64_t NowMs() const;

 private:
  store::Store& store_;
  blobs::BlobStore& blobs_;
  policy::IdentityPolicySource& identities_;
  const Clock& clock_;
  RandomSource& random_;
  std::unique_ptr<ObjectSealer> sealer_;
};

using Handler = std::function<StatusOr<S3Reply>(S3Service&, const S3Request&)>;
using UploadStarter = std::function<StatusOr<std::unique_ptr<UploadSink>>(S3Service&, const S3Request&)>;

struct Operation {
  std::string_view name;
  Handler handler;       // operations answered from the request (and a small body)
  UploadStarter upload;  // operations whose body is an object (set instead of handler)
};

// Every operation this server implements.
const std::vector<Operation>& Operations();
const Operation* FindOperation(std::string_view name);

// Shared by the operations.
std::string BucketArn(std::string_view bucket);
std::string ObjectArn(std::string_view bucket, std::string_view key);
std::string HttpDate(std::int64_t ms);   // RFC 7231 IMF-fixdate
std::string IsoMillis(std::int64_t ms);  // 2006-02-03T16:45:09.000Z
std::optional<std::int64_t> ParseHttpDate(std::string_view text);

}  // namespace coffer::s3
