#include "api/rest_routes.h"

#include <gtest/gtest.h>

#include <cctype>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <string>

#include "api/s3_model.h"

namespace coffer::api {
namespace {

using Headers = std::set<std::string>;

// Operations the S3 model itself makes indistinguishable from another one
// without x-id (same method, path and query literals, same required
// members), mapped to the operation a request without x-id reaches.
const std::map<std::string, std::string> kNeedXid = {
    {"GetBucketLifecycle", "GetBucketLifecycleConfiguration"},
    {"GetBucketNotification", "GetBucketNotificationConfiguration"},
    {"ListDirectoryBuckets", "ListBuckets"},
    {"PutBucketLifecycle", "PutBucketLifecycleConfiguration"},
    {"PutBucketNotification", "PutBucketNotificationConfiguration"},
};

class RestRoutesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto router = RestRouter::FromModelJson(EmbeddedS3Model());
    ASSERT_TRUE(router.ok()) << router.status().ToString();
    router_.emplace(std::move(router).value());
  }
  static void TearDownTestSuite() { router_.reset(); }

  static StatusOr<RestMatch> Match(std::string_view method, std::string_view path, std::string_view query,
                                   const Headers& headers = {}) {
    return router_->Match(method, path, query,
                          [&](std::string_view name) { return headers.contains(std::string(name)); });
  }

  // The operation a path-style request reaches, or the wire name of the error.
  static std::string Route(std::string_view method, std::string_view path, std::string_view query = "",
                           const Headers& headers = {}) {
    const auto match = Match(method, path, query, headers);
    return match.ok() ? std::string(match->operation) : "error " + std::string(WireName(match.status()));
  }

  inline static std::optional<RestRouter> router_;
};

nlohmann::json LoadOracleModel() {
  std::ifstream in(std::string(COFFER_ORACLES_DIR) + "/kms-api/botocore/s3/2006-03-01/service-2.json");
  std::stringstream text;
  text << in.rdbuf();
  return nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
}

// A request built from an operation's http trait: labels filled in, the
// literal query items, and every required query member and header.
struct OracleRequest {
  std::string method;
  std::string path;
  std::string query;
  Headers headers;
};

OracleRequest BuildRequest(const nlohmann::json& model, const nlohmann::json& op) {
  OracleRequest request;
  request.method = op["http"]["method"].get<std::string>();
  const std::string uri = op["http"]["requestUri"].get<std::string>();
  const std::size_t question = uri.find('?');
  request.path = uri.substr(0, question);
  if (question != std::string::npos) request.query = uri.substr(question + 1);
  for (const auto& [label, value] : {std::pair{"{Bucket}", "b"}, std::pair{"{Key+}", "dir/k%20e%2By"}}) {
    const std::size_t at = request.path.find(label);
    if (at != std::string::npos) request.path.replace(at, std::string_view(label).size(), value);
  }
  const nlohmann::json& input = model["shapes"][op["input"]["shape"].get<std::string>()];
  for (const auto& name : input.value("required", nlohmann::json::array())) {
    const nlohmann::json& member = input["members"][name.get<std::string>()];
    const std::string wire = member.value("locationName", "");
    if (member.value("location", "") == "querystring") {
      request.query += (request.query.empty() ? "" : "&") + wire + "=1";
    } else if (member.value("location", "") == "header") {
      std::string lower = wire;
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      request.headers.insert(lower);
    }
  }
  return request;
}

TEST_F(RestRoutesTest, EveryModelOperationRoutesBackToItself) {
  const nlohmann::json model = LoadOracleModel();
  ASSERT_TRUE(model.is_object()) << "S3 oracle model missing";
  int checked = 0;
  for (const auto& [name, op] : model["operations"].items()) {
    const OracleRequest request = BuildRequest(model, op);
    const std::string with_xid = request.query + (request.query.empty() ? "" : "&") + "x-id=" + name;
    const auto it = kNeedXid.find(name);
    const std::string expected = it == kNeedXid.end() ? name : it->second;
    SCOPED_TRACE(name + ": " + request.method + " " + request.path + "?" + request.query);
    EXPECT_EQ(Route(request.method, request.path, request.query, request.headers), expected);
    EXPECT_EQ(Route(request.method, request.path, with_xid, request.headers), name);
    const auto match = Match(request.method, request.path, request.query, request.headers);
    if (match.ok() && request.path.starts_with("/b/")) {
      EXPECT_EQ(match->bucket, "b");
      EXPECT_EQ(match->key, "dir/k e+y");
    }
    ++checked;
  }
  EXPECT_EQ(checked, 116);
}

TEST_F(RestRoutesTest, XidOnlyOperationsAreTheModelsIndistinguishablePairs) {
  std::vector<std::string_view> expected;
  expected.reserve(kNeedXid.size());
  for (const auto& [name, target] : kNeedXid) expected.emplace_back(name);
  EXPECT_EQ(router_->XidOnlyOperations(), expected);
}

TEST_F(RestRoutesTest, ServiceAndBucketLevelRequests) {
  EXPECT_EQ(Route("GET", "/"), "ListBuckets");
  EXPECT_EQ(Route("GET", "/", "x-id=ListBuckets"), "ListBuckets");
  EXPECT_EQ(Route("GET", "/", "x-id=ListDirectoryBuckets"), "ListDirectoryBuckets");
  EXPECT_EQ(Route("GET", "/b"), "ListObjects");
  EXPECT_EQ(Route("GET", "/b/"), "ListObjects");
  EXPECT_EQ(Route("GET", "/b", "prefix=a&delimiter=%2F"), "ListObjects");
  EXPECT_EQ(Route("GET", "/b", "list-type=2"), "ListObjectsV2");
  EXPECT_EQ(Route("GET", "/b", "prefix=a&list-type=2&max-keys=3"), "ListObjectsV2");
  EXPECT_EQ(Route("GET", "/b", "list-type=1"), "ListObjects");  // the literal's value must match
  EXPECT_EQ(Route("PUT", "/b"), "CreateBucket");
  EXPECT_EQ(Route("DELETE", "/b"), "DeleteBucket");
  EXPECT_EQ(Route("HEAD", "/b"), "HeadBucket");
  EXPECT_EQ(Route("POST", "/b", "delete"), "DeleteObjects");
  EXPECT_EQ(Route("POST", "/b", "delete="), "DeleteObjects");
  EXPECT_EQ(Route("GET", "/b", "location"), "GetBucketLocation");
  EXPECT_EQ(Route("GET", "/b", "versioning"), "GetBucketVersioning");
  EXPECT_EQ(Route("GET", "/b", "versions&prefix=x"), "ListObjectVersions");
  EXPECT_EQ(Route("PUT", "/b", "tagging"), "PutBucketTagging");
  EXPECT_EQ(Route("GET", "/b", "uploads"), "ListMultipartUploads");
  EXPECT_EQ(Route("GET", "/b", "lifecycle"), "GetBucketLifecycleConfiguration");
  EXPECT_EQ(Route("GET", "/b", "lifecycle&x-id=GetBucketLifecycle"), "GetBucketLifecycle");
}

// A required query member picks Get over List; without it, List.
TEST_F(RestRoutesTest, RequiredQueryMembersDiscriminate) {
  EXPECT_EQ(Route("GET", "/b", "analytics"), "ListBucketAnalyticsConfigurations");
  EXPECT_EQ(Route("GET", "/b", "analytics&id=a"), "GetBucketAnalyticsConfiguration");
  EXPECT_EQ(Route("GET", "/b", "id=a&analytics"), "GetBucketAnalyticsConfiguration");
  // Missing id still reaches the only PUT ?analytics; validation names the member.
  EXPECT_EQ(Route("PUT", "/b", "analytics"), "PutBucketAnalyticsConfiguration");
}

TEST_F(RestRoutesTest, ObjectLevelRequests) {
  EXPECT_EQ(Route("PUT", "/b/k"), "PutObject");
  EXPECT_EQ(Route("PUT", "/b/k", "x-id=PutObject"), "PutObject");
  EXPECT_EQ(Route("PUT", "/b/k", "", {"x-amz-copy-source"}), "CopyObject");
  EXPECT_EQ(Route("PUT", "/b/k", "partNumber=1&uploadId=x"), "UploadPart");
  EXPECT_EQ(Route("PUT", "/b/k", "uploadId=x&partNumber=1"), "UploadPart");
  EXPECT_EQ(Route("PUT", "/b/k", "partNumber=1&uploadId=x", {"x-amz-copy-source"}), "UploadPartCopy");
  // One part number short: still UploadPart, whose validation names the member.
  EXPECT_EQ(Route("PUT", "/b/k", "uploadId=x"), "UploadPart");
  EXPECT_EQ(Route("POST", "/b/k", "uploads"), "CreateMultipartUpload");
  EXPECT_EQ(Route("POST", "/b/k", "uploads="), "CreateMultipartUpload");
  EXPECT_EQ(Route("POST", "/b/k", "uploadId=x"), "CompleteMultipartUpload");
  EXPECT_EQ(Route("DELETE", "/b/k", "uploadId=x"), "AbortMultipartUpload");
  EXPECT_EQ(Route("DELETE", "/b/k"), "DeleteObject");
  EXPECT_EQ(Route("DELETE", "/b/k", "versionId=v"), "DeleteObject");
  EXPECT_EQ(Route("GET", "/b/k", "uploadId=x"), "ListParts");
  EXPECT_EQ(Route("GET", "/b/k"), "GetObject");
  EXPECT_EQ(Route("GET", "/b/k", "versionId=v&response-content-type=text%2Fplain"), "GetObject");
  EXPECT_EQ(Route("GET", "/b/k", "tagging"), "GetObjectTagging");
  EXPECT_EQ(Route("GET", "/b/k", "acl"), "GetObjectAcl");
  EXPECT_EQ(Route("GET", "/b/k", "attributes", {"x-amz-object-attributes"}), "GetObjectAttributes");
  EXPECT_EQ(Route("GET", "/b/k", "attributes"), "GetObjectAttributes");
  EXPECT_EQ(Route("HEAD", "/b/k"), "HeadObject");
  EXPECT_EQ(Route("POST", "/b/k", "select&select-type=2"), "SelectObjectContent");
  EXPECT_EQ(Route("POST", "/WriteGetObjectResponse", "", {"x-amz-request-route", "x-amz-request-token"}),
            "WriteGetObjectResponse");
}

TEST_F(RestRoutesTest, LabelsArePercentDecodedAndKeysKeepSlashes) {
  const auto match = Match("PUT", "/my-bucket/dir/sub/k%2Fx%20y%2B+z", "");
  ASSERT_TRUE(match.ok()) << match.status().ToString();
  EXPECT_EQ(match->operation, "PutObject");
  EXPECT_EQ(match->bucket, "my-bucket");
  EXPECT_EQ(match->key, "dir/sub/k/x y++z");
  const auto leading_slash = Match("GET", "/b//k", "");
  ASSERT_TRUE(leading_slash.ok());
  EXPECT_EQ(leading_slash->key, "/k");
  const auto bucket_level = Match("GET", "/b/", "");
  ASSERT_TRUE(bucket_level.ok());
  EXPECT_EQ(bucket_level->bucket, "b");
  EXPECT_EQ(bucket_level->key, "");
}

TEST_F(RestRoutesTest, VirtualHostedEntryPointTakesSplitLabels) {
  const auto no_headers = [](std::string_view) { return false; };
  const auto object = router_->Match("GET", "b", "a/b c", "", no_headers);
  ASSERT_TRUE(object.ok());
  EXPECT_EQ(object->operation, "GetObject");
  EXPECT_EQ(object->key, "a/b c");
  const auto bucket = router_->Match("GET", "b", "", "list-type=2", no_headers);
  ASSERT_TRUE(bucket.ok());
  EXPECT_EQ(bucket->operation, "ListObjectsV2");
  const auto service = router_->Match("GET", "", "", "", no_headers);
  ASSERT_TRUE(service.ok());
  EXPECT_EQ(service->operation, "ListBuckets");
  EXPECT_EQ(router_->Match("GET", "", "k", "", no_headers).status().type(), "InvalidURI");
}

TEST_F(RestRoutesTest, MethodNotAllowedWhenTheResourceHasOtherMethodsOnly) {
  const auto patch = Match("PATCH", "/b/k", "");
  ASSERT_FALSE(patch.ok());
  EXPECT_EQ(patch.status().code(), ErrorCode::kMethodNotAllowed);
  EXPECT_EQ(patch.status().message(), "The specified method is not allowed against this resource.");
  EXPECT_EQ(Route("PATCH", "/b"), "error MethodNotAllowed");
  EXPECT_EQ(Route("PUT", "/"), "error MethodNotAllowed");
  EXPECT_EQ(Route("DELETE", "/"), "error MethodNotAllowed");
  EXPECT_EQ(Route("OPTIONS", "/b/k", "uploads"), "error MethodNotAllowed");
  EXPECT_EQ(Route("get", "/b"), "error MethodNotAllowed");  // methods are case-sensitive
}

TEST_F(RestRoutesTest, NotImplementedWhenNoOperationMatches) {
  const auto post = Match("POST", "/b", "");  // browser form upload (PostObject)
  ASSERT_FALSE(post.ok());
  EXPECT_EQ(post.status().code(), ErrorCode::kNotImplemented);
  EXPECT_EQ(WireName(post.status()), "NotImplemented");
  // CompleteMultipartUpload needs its uploadId to be recognised at all.
  EXPECT_EQ(Route("POST", "/b/k"), "error NotImplemented");
  EXPECT_EQ(Route("POST", "/b/k", "select-type=2"), "error NotImplemented");  // "select" missing
}

TEST_F(RestRoutesTest, XidMustNameTheMatchedOperation) {
  EXPECT_EQ(Route("GET", "/b/k", "x-id=PutObject"), "error InvalidRequest");
  EXPECT_EQ(Route("GET", "/b/k", "x-id=NoSuchOperation"), "error InvalidRequest");
  EXPECT_EQ(Route("PUT", "/b/k", "x-id=CopyObject"), "CopyObject");  // header missing: validation's job
  EXPECT_EQ(Route("PATCH", "/b/k", "x-id=PutObject"), "error MethodNotAllowed");
}

TEST_F(RestRoutesTest, EquallyGoodMatchesAreRefused) {
  const auto both = Match("GET", "/b", "list-type=2&versions");
  ASSERT_FALSE(both.ok());
  EXPECT_EQ(both.status().code(), ErrorCode::kValidation);
  EXPECT_EQ(both.status().type(), "InvalidRequest");
  EXPECT_EQ(Route("GET", "/b", "versions&list-type=2&x-id=ListObjectVersions"), "ListObjectVersions");
}

TEST_F(RestRoutesTest, MalformedUrisAreInvalidUri) {
  EXPECT_EQ(Route("GET", "/b/k%zz"), "error InvalidURI");
  EXPECT_EQ(Route("GET", "/b/k%2"), "error InvalidURI");
  EXPECT_EQ(Route("GET", "/b%"), "error InvalidURI");
  EXPECT_EQ(Route("GET", "b/k"), "error InvalidURI");
  EXPECT_EQ(Route("GET", ""), "error InvalidURI");
  EXPECT_EQ(Route("GET", "//k"), "error InvalidURI");
  EXPECT_EQ(Route("GET", "/b", "uploads%G0"), "error InvalidURI");
}

std::string TinyModel(std::string_view first_uri, std::string_view second_uri, bool second_deprecated) {
  return std::string(R"({"metadata": {}, "shapes": {"In": {"type": "structure", "members": {}}},
    "operations": {
      "First": {"http": {"method": "GET", "requestUri": ")") +
         std::string(first_uri) + R"("}, "input": {"shape": "In"}},
      "Second": {"http": {"method": "GET", "requestUri": ")" +
         std::string(second_uri) + R"("}, "input": {"shape": "In"}, "deprecated": )" +
         (second_deprecated ? "true" : "false") + "}}}";
}

TEST(RestRouterLoadTest, RefusesUnusableModels) {
  EXPECT_EQ(RestRouter::FromModelJson("not json").status().code(), ErrorCode::kInternal);
  EXPECT_EQ(RestRouter::FromModelJson(R"({"operations": {}})").status().code(), ErrorCode::kInternal);
  EXPECT_EQ(RestRouter::FromModelJson(TinyModel("/{Bucket}/x/{Key+}", "/", false)).status().code(),
            ErrorCode::kInternal);
  EXPECT_EQ(RestRouter::FromModelJson(TinyModel("/{Bucket}?a", "/{Bucket}?&a", false)).status().code(),
            ErrorCode::kInternal);
  // Two live operations no request can tell apart.
  const auto ambiguous = RestRouter::FromModelJson(TinyModel("/{Bucket}?a", "/{Bucket}?a", false));
  ASSERT_FALSE(ambiguous.ok());
  EXPECT_EQ(ambiguous.status().message(), "REST routes: First and Second cannot be told apart");
  // A deprecated twin is reached only with x-id.
  const auto deprecated = RestRouter::FromModelJson(TinyModel("/{Bucket}?a", "/{Bucket}?a", true));
  ASSERT_TRUE(deprecated.ok()) << deprecated.status().ToString();
  EXPECT_EQ(deprecated->XidOnlyOperations(), std::vector<std::string_view>{"Second"});
}

}  // namespace
}  // namespace coffer::api
