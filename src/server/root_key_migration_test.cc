// `coffer admin migrate-root-key` and the S3 service key: the service key
// versions in the store are rewrapped under the new root key, format 3 blob
// files are left byte for byte as they are (their data keys are under the
// service key), format 2 headers are rewrapped, and everything opens under
// the new root key afterwards.
#include "server/root_key_migration.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "blobs/blob_store.h"
#include "pkcs11/softhsm_test_util.h"
#include "s3/service_key.h"

namespace coffer::server {
namespace {

namespace fs = std::filesystem;

std::string FileBytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

class RootKeyMigrationTest : public ::testing::Test {
 protected:
  RootKeyMigrationTest() {
    data_dir_ = fs::temp_directory_path() / ("coffer-migration-test-" + std::to_string(::getpid()));
    fs::remove_all(data_dir_);
    fs::create_directories(data_dir_ / "s3");
    hsm_.InitToken("coffer-migration");
    from_.data_dir = data_dir_;
    from_.root_key_provider = "file";
    from_.pkcs11.module = pkcs11::testing::kSoftHsmModule;
    from_.pkcs11.token_label = "coffer-migration";
    from_.pkcs11.pin_file = hsm_.pin_file();
  }
  ~RootKeyMigrationTest() override { fs::remove_all(data_dir_); }

  fs::path BlobDir() const { return data_dir_ / "s3" / "blobs"; }
  fs::path BlobPath(const std::string& id) const { return BlobDir() / id.substr(0, 2) / id; }

  static std::string Write(blobs::BlobStore& blobs, std::string_view body) {
    auto writer = blobs.Create();
    EXPECT_TRUE(writer.ok()) << writer.status().ToString();
    EXPECT_TRUE((*writer)->Write(body).ok());
    auto info = (*writer)->Commit();
    EXPECT_TRUE(info.ok()) << info.status().ToString();
    return info.ok() ? info->id : "";
  }
  static std::string Read(blobs::BlobStore& blobs, const std::string& id) {
    auto reader = blobs.Open(id);
    EXPECT_TRUE(reader.ok()) << reader.status().ToString();
    if (!reader.ok()) return "";
    std::string out((*reader)->size(), '\0');
    EXPECT_TRUE((*reader)->ReadAt(0, out).ok());
    return out;
  }

  pkcs11::testing::SoftHsm hsm_;
  fs::path data_dir_;
  CoreOptions from_;
};

TEST_F(RootKeyMigrationTest, ServiceKeyVersionsMoveAndVersion3BlobsStayAsTheyAre) {
  std::string v2_id, v3_old_id, v3_new_id;
  {
    auto core = OpenCore(from_);
    ASSERT_TRUE(core.ok()) << core.status().ToString();
    s3::ServiceKeyring keyring(*(*core)->store, *(*core)->root_key, (*core)->clock, (*core)->random);
    auto old_format = blobs::OpenFileBlobStore({BlobDir().string()}, *(*core)->root_key, (*core)->random);
    ASSERT_TRUE(old_format.ok());
    v2_id = Write(**old_format, "written before the service key");
    auto blobs = blobs::OpenFileBlobStore({BlobDir().string()}, *(*core)->root_key, keyring, (*core)->random);
    ASSERT_TRUE(blobs.ok());
    v3_old_id = Write(**blobs, "under service key version 1");
    ASSERT_TRUE(keyring.Rotate(/*force=*/true).ok());
    v3_new_id = Write(**blobs, "under service key version 2");
  }
  const std::string v2_before = FileBytes(BlobPath(v2_id));
  const std::string v3_old_before = FileBytes(BlobPath(v3_old_id));
  const std::string v3_new_before = FileBytes(BlobPath(v3_new_id));

  auto report = MigrateRootKey(from_, "pkcs11", nullptr);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_GE(report->moved, 3U) << "two service key versions and one v2 header at least";
  EXPECT_EQ(FileBytes(BlobPath(v3_old_id)), v3_old_before);
  EXPECT_EQ(FileBytes(BlobPath(v3_new_id)), v3_new_before);
  EXPECT_NE(FileBytes(BlobPath(v2_id)), v2_before) << "a v2 header is rewrapped in place";
  EXPECT_FALSE(fs::exists(data_dir_ / "root.key"));

  CoreOptions to = from_;
  to.root_key_provider = "pkcs11";
  auto core = OpenCore(to);
  ASSERT_TRUE(core.ok()) << core.status().ToString();
  s3::ServiceKeyring keyring(*(*core)->store, *(*core)->root_key, (*core)->clock, (*core)->random);
  auto current = keyring.CurrentVersion();
  ASSERT_TRUE(current.ok());
  EXPECT_EQ(*current, 2U);
  auto blobs = blobs::OpenFileBlobStore({BlobDir().string()}, *(*core)->root_key, keyring, (*core)->random);
  ASSERT_TRUE(blobs.ok());
  EXPECT_EQ(Read(**blobs, v2_id), "written before the service key");
  EXPECT_EQ(Read(**blobs, v3_old_id), "under service key version 1");
  EXPECT_EQ(Read(**blobs, v3_new_id), "under service key version 2");
}

}  // namespace
}  // namespace coffer::server
