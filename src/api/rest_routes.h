// Routing of REST requests (S3's rest-xml protocol) to model operations.
//
// Every operation of a botocore REST model carries an http trait such as
// {"method": "PUT", "requestUri": "/{Bucket}/{Key+}?uploads"}. The router is
// built from those traits and the input shapes' member locations, once at
// start-up; a built router is immutable and safe to share between threads.
//
// A request matches an operation when the method and the label shape (service
// root, bucket, bucket + key) agree and every literal query item of the
// requestUri is present ("?uploads" by key, "?list-type=2" by key and value).
// Operations with the same literals are told apart by their discriminators:
// the input members that are required and sent as a header
// (x-amz-copy-source for CopyObject) or as a query parameter (uploadId and
// partNumber for UploadPart). Among the candidates the router picks, in order:
// a literal path ("/WriteGetObjectResponse"), the most literal query items,
// the most discriminators present, then the fewest discriminators missing.
// A candidate without literals but with discriminators needs at least one of
// them present (POST /b/k alone is not CompleteMultipartUpload).
//
// `x-id=<Operation>` in the query (sent by newer SDKs, absent from the
// botocore model and from older clients) is optional; when present it must
// name the chosen operation. Operations that the model makes indistinguishable
// without it (ListBuckets and ListDirectoryBuckets are both GET /) resolve to
// one default; the others (deprecated ones, directory-bucket ones) are reached
// only with x-id.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status_or.h"

namespace coffer::api {

struct RestMatch {
  std::string_view operation;  // model name, "PutObject"; valid while the router lives
  std::string bucket;          // percent-decoded {Bucket}; empty for the service root
  std::string key;             // percent-decoded {Key+}; empty for bucket-level requests
};

struct RestRoute;

class RestRouter {
 public:
  // Builds the routes of a botocore REST model (JSON text). Fails with
  // kInternal when the model is unusable: a requestUri this router cannot
  // express, or two operations no request could tell apart and no rule orders.
  static StatusOr<RestRouter> FromModelJson(std::string_view json);

  RestRouter(RestRouter&&) noexcept;
  RestRouter& operator=(RestRouter&&) noexcept;
  ~RestRouter();

  // Path-style request. `path` is the percent-encoded request path without
  // the query ("/bucket/dir/key%20x"): its first segment is the bucket, the
  // rest (which may contain '/', and is empty for "/bucket/") the key.
  // `query` is the raw query string without '?'. `has_header` says whether
  // a request header is present; it is asked lower-case names.
  //
  // Errors: kValidation named "InvalidURI" for a path that is not absolute or
  // does not percent-decode; kMethodNotAllowed when the resource exists for
  // other methods only; kNotImplemented when the method exists for the
  // resource but no operation matches the query and headers; kValidation
  // named "InvalidRequest" when x-id names another operation or two
  // operations match equally well.
  StatusOr<RestMatch> Match(std::string_view method, std::string_view path, std::string_view query,
                            const std::function<bool(std::string_view)>& has_header) const;

  // The same with bucket and key already split and decoded (virtual-hosted
  // requests take the bucket from the Host header). An empty bucket is the
  // service root, and then the key must be empty too.
  StatusOr<RestMatch> Match(std::string_view method, std::string bucket, std::string key,
                            std::string_view query,
                            const std::function<bool(std::string_view)>& has_header) const;

  // Operations reached only when the request names them with x-id, sorted.
  std::vector<std::string_view> XidOnlyOperations() const;

 private:
  explicit RestRouter(std::vector<std::unique_ptr<RestRoute>> routes);

  std::vector<std::unique_ptr<RestRoute>> routes_;
};

}  // namespace coffer::api
