// Server-side encryption of S3 objects beyond the blob store's at-rest layer
// (docs/s3-encryption.md):
//
//   SSE-S3    x-amz-server-side-encryption: AES256     at-rest layer only
//   SSE-KMS   aws:kms [+ -aws-kms-key-id, -context]    blob bound to a KMS data key
//             [+ -bucket-key-enabled: true]           ... derived from a bucket key
//   DSSE-KMS  aws:kms:dsse                             a second, inner layer under a KMS data key
//   SSE-C     -customer-algorithm/-key/-key-MD5        blob bound to the caller's key (TLS only)
//
// KMS is called on the caller's behalf (kms::ServiceKms: the caller's key
// policy, IAM policies and grants decide, with kms:ViaService
// s3.<region>.amazonaws.com), and each call goes to the observers (the audit
// trail) as a KMS event made by S3 for that caller.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "blobs/blob_store.h"
#include "common/clock.h"
#include "common/random.h"
#include "common/secret_bytes.h"
#include "common/status_or.h"
#include "kms/service_client.h"
#include "s3/records.h"
#include "s3/service.h"
#include "server/request_hooks.h"

namespace coffer::s3 {

inline constexpr std::string_view kSseKms = "aws:kms";
inline constexpr std::string_view kSseDsse = "aws:kms:dsse";
inline constexpr std::string_view kSseC = "SSE-C";
inline constexpr std::string_view kAwsManagedS3Key = "alias/aws/s3";

// A customer key a request presented (SSE-C), checked: 32 bytes whose MD5 is
// the one the request claimed.
struct CustomerKey {
  SecretBytes key;
  std::string md5;  // base64
};

// The customer key headers under `prefix` ("x-amz-server-side-encryption-customer-"
// or "x-amz-copy-source-server-side-encryption-customer-"); nullopt when the
// request sends none of them. InvalidArgument / InvalidEncryptionAlgorithmError
// for incomplete or wrong ones; InvalidRequest when the connection is not TLS.
StatusOr<std::optional<CustomerKey>> CustomerKeyOf(const S3Request& req, std::string_view prefix);
inline constexpr std::string_view kCustomerKeyHeaders = "x-amz-server-side-encryption-customer-";
inline constexpr std::string_view kCopySourceCustomerKeyHeaders =
    "x-amz-copy-source-server-side-encryption-customer-";

// What a write asked for: its headers, else the bucket's default encryption.
struct SseChoice {
  std::string mode = "AES256";  // "AES256", "aws:kms", "aws:kms:dsse" or "SSE-C"
  std::string kms_key_id;       // as given; empty: the AWS managed key alias/aws/s3
  bool bucket_key = false;
  std::map<std::string, std::string> context;  // the caller's, from -context
  bool context_given = false;
  std::optional<CustomerKey> customer;
};

// Reads the encryption headers of a write (PutObject, CopyObject destination,
// CreateMultipartUpload); without any, the bucket default applies. The
// errors AWS gives for contradictory or malformed headers.
StatusOr<SseChoice> SseChoiceOf(const S3Request& req, const BucketRecord& bucket);
// True when the request carries any encryption header of a write.
bool HasSseHeaders(const S3Request& req);

// The keys a blob is bound to, owned (the blob store takes pointers).
struct ObjectKeys {
  SecretBytes object_key;  // SSE-KMS, SSE-C
  SecretBytes inner_key;   // DSSE-KMS
  blobs::BlobKeys view() const {
    return {object_key.empty() ? nullptr : &object_key, inner_key.empty() ? nullptr : &inner_key};
  }
};

// A new object's (or upload's) sealing: what its record keeps and the keys.
struct Sealing {
  std::optional<SseState> state;  // none: SSE-S3
  ObjectKeys keys;
};

struct SealerOptions {
  // How long a bucket key from KMS (GenerateDataKey) and a bucket key KMS
  // decrypted for a caller are reused before KMS is asked again.
  std::chrono::seconds bucket_key_ttl{300};
  std::size_t max_cached_keys = 4096;
};

class ObjectSealer {
 public:
  using KmsObserver = std::function<void(const server::RequestTrace&)>;

  ObjectSealer(const Clock& clock, RandomSource& random) : clock_(clock), random_(random) {}

  // KMS for the KMS modes (without it they answer InternalError), and who is
  // told about each KMS call made for a caller (may be empty).
  void SetKms(kms::ServiceKms* kms, KmsObserver observer) {
    kms_ = kms;
    observer_ = std::move(observer);
  }
  void SetOptions(const SealerOptions& options) { options_ = options; }

  // Keys for a new object or upload at `object_arn` in `bucket_arn`.
  StatusOr<Sealing> Seal(const S3Request& req, const SseChoice& choice, std::string_view bucket_arn,
                         std::string_view object_arn);
  // Keys to read an object sealed as `state` (none: SSE-S3). `presented` is
  // the customer key the read sent, if any: required for SSE-C objects
  // (InvalidRequest without, AccessDenied when it is another key) and
  // refused for others (InvalidRequest).
  StatusOr<ObjectKeys> Unseal(const S3Request& req, const std::optional<SseState>& state,
                              const std::optional<CustomerKey>& presented);
  // The customer-key checks of Unseal alone, without asking KMS for a key
  // (HEAD, which reads no byte of the body).
  static Status CheckPresentedKey(const std::optional<SseState>& state,
                                  const std::optional<CustomerKey>& presented);

  // KMS calls made since start (for tests and the bench).
  std::uint64_t kms_calls() const;

 private:
  struct CachedKey {
    SecretBytes plaintext;
    std::string wrapped;  // base64
    std::string key_arn;
    TimePoint made;
  };
  StatusOr<SseState> SealKms(const S3Request& req, const SseChoice& choice, std::string_view bucket_arn,
                             std::string_view object_arn, ObjectKeys& out_keys);
  Status SealCustomer(const CustomerKey& key, SseState& state, ObjectKeys& out_keys);
  // The bucket key for this caller, bucket, KMS key and context (cached).
  StatusOr<CachedKey> BucketKey(const S3Request& req, const SseChoice& choice,
                                const kms::EncryptionContext& context);
  // The plaintext of a wrapped data or bucket key (bucket keys cached per caller).
  StatusOr<SecretBytes> UnwrapKey(const S3Request& req, const SseState& state);
  StatusOr<kms::ServiceDataKey> GenerateDataKey(const S3Request& req, std::string_view key_id,
                                                const kms::EncryptionContext& context);
  StatusOr<SecretBytes> Decrypt(const S3Request& req, const SseState& state);
  void Observe(const S3Request& req, std::string_view operation, const nlohmann::json& request,
               const std::string& key_arn, const Status& status);
  std::optional<CachedKey> Cached(const std::string& cache_key);
  void Remember(const std::string& cache_key, const CachedKey& entry);

  const Clock& clock_;
  RandomSource& random_;
  kms::ServiceKms* kms_ = nullptr;
  KmsObserver observer_;
  SealerOptions options_;
  mutable std::mutex mu_;
  std::map<std::string, CachedKey> cache_;  // guarded by mu_
  std::uint64_t kms_calls_ = 0;             // guarded by mu_
};

// The KMS failure as S3 answers it: AccessDenied (403) for authorization,
// KMS.<Exception> (400) for the key's state, existence or usage.
Status S3KmsError(const Status& kms_status);

// An object's or part's ETag (hex, no quotes): the MD5 of its bytes, except
// under SSE-C, where AWS's ETag is not the MD5 (it would let anyone who can
// list the bucket test guesses of the plaintext): random then.
StatusOr<std::string> EtagHexFor(const std::optional<SseState>& state, const std::string& md5_hex,
                                 RandomSource& random);

// The response headers that say how an object is sealed; the context only
// where AWS returns it (PUT, copy, CreateMultipartUpload).
void AddSseHeaders(const std::optional<SseState>& state, bool with_context, S3Reply& reply);

}  // namespace coffer::s3
