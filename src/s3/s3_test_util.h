// Shared by the S3 tests: the error code a result goes out under,
// hand-built requests, and a fixture with a service over a memory store and a
// file blob store in a fresh temporary directory.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "blobs/blob_store.h"
#include "common/bytes.h"
#include "common/clock.h"
#include "common/secret_bytes.h"
#include "common/status_or.h"
#include "crypto/checksum.h"
#include "crypto/crypto.h"
#include "rootkey/root_key.h"
#include "s3/errors.h"
#include "s3/service.h"
#include "s3/xml.h"
#include "store/store.h"

namespace coffer::s3::testing {

inline constexpr char kAccount[] = "111122223333";
inline constexpr char kOtherAccount[] = "444455556666";
inline constexpr char kRegion[] = "us-east-1";

// The S3 error code a status goes out under; empty when it is OK.
inline std::string CodeOf(const Status& status) {
  return status.ok() ? std::string() : std::string(S3ErrorFor(status).code);
}
template <typename T>
std::string CodeOf(const StatusOr<T>& result) {
  return result.ok() ? std::string() : CodeOf(result.status());
}

// A request of `account` (as root user) in us-east-1.
inline S3Request MakeRequest(std::string operation, std::string bucket, std::string key = "",
                             std::vector<auth::Header> headers = {}, std::string account = kAccount) {
  S3Request req;
  req.request_id = "REQ1";
  req.operation = std::move(operation);
  req.bucket = std::move(bucket);
  req.key = std::move(key);
  req.headers = std::move(headers);
  req.region = kRegion;
  req.account = account;
  req.who.caller.account = account;
  req.who.caller.arn = "arn:aws:iam::" + account + ":root";
  req.who.principal_type = "Account";
  return req;
}

// Deterministic content: byte i of a body made with `seed`.
inline std::string Pattern(std::size_t len, std::uint32_t seed) {
  std::string out(len, '\0');
  for (std::size_t i = 0; i < len; ++i) out[i] = static_cast<char>((i * 131 + seed * 7 + (i >> 8)) & 0xff);
  return out;
}

inline std::string Md5Hex(std::string_view data) {
  crypto::Md5 md5;
  md5.Update(data);
  return md5.FinishHex();
}

// A child element's text of an XML reply ("<unparsable>" / "<wrong root>").
inline std::string XmlChild(const std::string& body, std::string_view root_name, std::string_view child) {
  auto doc = XmlDoc::Parse(body);
  if (!doc.ok()) return "<unparsable>";
  auto root = doc->Root(root_name);
  if (!root.ok()) return "<wrong root>";
  return ChildText(*root, child);
}

// The S3 service of one test, with `Identities` deciding authorization.
template <typename Identities>
class S3Fixture : public ::testing::Test {
 protected:
  static constexpr std::int64_t kStartMs = 1700000000000;

  S3Fixture()
      : root_(SecretBytes(Bytes(32, 0x42)), random_),
        clock_(FromEpochMillis(kStartMs)),
        store_(store::NewMemoryStore()) {
    static std::atomic<int> counter{0};
    dir_ = std::filesystem::temp_directory_path() /
           ("coffer-s3-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(dir_);
    auto blobs = blobs::OpenFileBlobStore({dir_.string(), 64 * 1024}, root_, random_);
    EXPECT_TRUE(blobs.ok()) << blobs.status().ToString();
    blobs_ = std::move(blobs).value();
    s3_ = std::make_unique<S3Service>(*store_, *blobs_, identities_, clock_, random_);
  }
  ~S3Fixture() override {
    s3_.reset();
    blobs_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  crypto::OsRandom random_;
  rootkey::SoftwareRootKey root_;
  FakeClock clock_;
  std::unique_ptr<store::Store> store_;
  std::filesystem::path dir_;
  std::unique_ptr<blobs::BlobStore> blobs_;
  Identities identities_;
  std::unique_ptr<S3Service> s3_;
};

}  // namespace coffer::s3::testing
