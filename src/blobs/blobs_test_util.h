// Shared fixture for the blob store tests: a temp directory, a root key and
// helpers to write, read and tamper with blob files.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <ostream>
#include <random>
#include <sstream>
#include <string>

#include "blobs/blob_store.h"
#include "crypto/crypto.h"

namespace coffer {

inline void PrintTo(ErrorCode code, std::ostream* os) { *os << ErrorName(code); }

namespace blobs::testing {

namespace fs = std::filesystem;

inline constexpr std::size_t kSmallSegment = 16;
inline constexpr std::size_t kTagLen = 16;

// Deterministic content: byte i of a blob made with `seed`.
inline std::string Pattern(std::size_t len, std::uint32_t seed) {
  std::string out(len, '\0');
  for (std::size_t i = 0; i < len; ++i)
    out[i] = static_cast<char>((i * 131 + std::size_t{seed} * 7 + (i >> 8)) & 0xff);
  return out;
}

inline std::string ReadFileBytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

inline void WriteFileBytes(const fs::path& path, std::string_view content) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
}

class BlobTest : public ::testing::Test {
 protected:
  BlobTest() : root_(SecretBytes(Bytes(32, 0x42)), random_) {
    static std::atomic<int> counter{0};
    dir_ = fs::temp_directory_path() /
           ("coffer-blobs-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::remove_all(dir_);
  }
  ~BlobTest() override {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  std::unique_ptr<BlobStore> OpenStore(std::size_t segment_bytes = kSmallSegment,
                                       const rootkey::RootKey* root = nullptr) {
    auto store = OpenFileBlobStore({dir_.string(), segment_bytes}, root ? *root : root_, random_);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }

  // Writes `data` in pieces of random length (fixed seed) and commits.
  static BlobInfo WriteBlob(BlobStore& store, std::string_view data, std::uint32_t seed = 1,
                            const BlobKeys& keys = {}) {
    auto writer = store.Create(keys);
    EXPECT_TRUE(writer.ok()) << writer.status().ToString();
    std::mt19937 rng(seed);
    while (!data.empty()) {
      const std::size_t n = std::min<std::size_t>(data.size(), rng() % 40);
      EXPECT_TRUE((*writer)->Write(data.substr(0, n)).ok());
      data.remove_prefix(n);
    }
    auto info = (*writer)->Commit();
    EXPECT_TRUE(info.ok()) << info.status().ToString();
    return info.ok() ? *info : BlobInfo{};
  }

  static std::string ReadAll(BlobReader& reader) {
    std::string out(reader.size(), '\0');
    auto n = reader.ReadAt(0, out);
    EXPECT_TRUE(n.ok()) << n.status().ToString();
    EXPECT_EQ(n.ok() ? *n : 0, out.size());
    return out;
  }

  fs::path BlobPath(std::string_view id) const {
    return dir_ / std::string(id.substr(0, 2)) / std::string(id);
  }
  // The header length of a blob file with 16-byte segments and `size` bytes,
  // each segment sealed with `overhead` bytes (a tag per layer).
  std::size_t HeaderLen(std::string_view id, std::size_t size, std::size_t overhead = kTagLen) const {
    const std::size_t segments = std::max<std::size_t>(1, (size + kSmallSegment - 1) / kSmallSegment);
    return fs::file_size(BlobPath(id)) - size - segments * overhead;
  }

  crypto::OsRandom random_;
  rootkey::SoftwareRootKey root_;
  fs::path dir_;
};

}  // namespace blobs::testing
}  // namespace coffer
