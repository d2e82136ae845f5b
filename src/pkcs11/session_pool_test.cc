// SessionPool against a real SoftHSM2 token: logged-in sessions, bounded in
// number, reused, and replaced when one failed.
#include "pkcs11/session_pool.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

#include "pkcs11/softhsm_test_util.h"

namespace coffer::pkcs11 {
namespace {

using ::testing::HasSubstr;

class SessionPoolTest : public ::testing::Test {
 protected:
  void SetUp() override { hsm_.InitToken("pool"); }

  StatusOr<std::unique_ptr<SessionPool>> Create(std::size_t size, std::string pin = testing::kUserPin) {
    auto library = Library::Open(testing::kSoftHsmModule);
    if (!library.ok()) return library.status();
    SessionPool::Options options;
    options.library = *library;
    options.token_label = "pool";
    options.pin = SecretBytes(AsBytes(pin));
    options.size = size;
    options.find_object = [this](CK_FUNCTION_LIST&, CK_SESSION_HANDLE) -> StatusOr<CK_OBJECT_HANDLE> {
      ++finds_;
      return CK_OBJECT_HANDLE{7};
    };
    return SessionPool::Create(std::move(options));
  }

  testing::SoftHsm hsm_;
  std::atomic<int> finds_{0};
};

TEST_F(SessionPoolTest, SessionsAreLoggedInAndReused) {
  auto pool = Create(2);
  ASSERT_TRUE(pool.ok()) << pool.status().ToString();
  for (int i = 0; i < 5; ++i) {
    auto lease = (*pool)->Acquire();
    ASSERT_TRUE(lease.ok());
    EXPECT_EQ(lease->object(), CK_OBJECT_HANDLE{7});
    CK_SESSION_INFO info{};
    ASSERT_EQ(lease->fn().C_GetSessionInfo(lease->session(), &info), CKR_OK);
    EXPECT_EQ(info.state, CKS_RW_USER_FUNCTIONS);
  }
  EXPECT_EQ((*pool)->open_sessions(), 1u);
  EXPECT_EQ(finds_.load(), 1);
}

TEST_F(SessionPoolTest, NeverMoreSessionsThanItsSize) {
  auto pool = Create(2);
  ASSERT_TRUE(pool.ok());
  std::atomic<std::size_t> most{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 40; ++i) {
        auto lease = (*pool)->Acquire();
        ASSERT_TRUE(lease.ok());
        std::size_t seen = (*pool)->open_sessions();
        std::size_t prev = most.load();
        while (seen > prev && !most.compare_exchange_weak(prev, seen)) {
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_LE(most.load(), 2u);
  EXPECT_GE(most.load(), 1u);
}

TEST_F(SessionPoolTest, AFailedSessionIsClosedAndReplaced) {
  auto pool = Create(1);
  ASSERT_TRUE(pool.ok());
  CK_SESSION_HANDLE first = CK_INVALID_HANDLE;
  {
    auto lease = (*pool)->Acquire();
    ASSERT_TRUE(lease.ok());
    first = lease->session();
    const Status failed = lease->Fail("C_Encrypt", CKR_DEVICE_ERROR);
    EXPECT_EQ(failed.code(), ErrorCode::kInternal);
    EXPECT_THAT(failed.message(), HasSubstr("C_Encrypt failed: CKR_DEVICE_ERROR"));
  }
  EXPECT_EQ((*pool)->open_sessions(), 0u);
  auto lease = (*pool)->Acquire();
  ASSERT_TRUE(lease.ok());
  CK_SESSION_INFO info{};
  EXPECT_EQ(lease->fn().C_GetSessionInfo(first, &info) == CKR_OK && first != lease->session(), false);
  EXPECT_EQ(finds_.load(), 2);
}

TEST_F(SessionPoolTest, AWrongPinFailsCreate) {
  auto pool = Create(1, "000000");
  ASSERT_FALSE(pool.ok());
  EXPECT_THAT(pool.status().message(), HasSubstr("C_Login failed: CKR_PIN_INCORRECT"));
}

TEST(RvNameTest, NamesKnownCodesAndPrintsOthersInHex) {
  EXPECT_EQ(RvName(CKR_PIN_INCORRECT), "CKR_PIN_INCORRECT");
  EXPECT_EQ(RvName(0x8000ABCDUL), "CKR_0x8000abcd");
}

}  // namespace
}  // namespace coffer::pkcs11
