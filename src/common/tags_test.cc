// The reserved tag prefix, in every letter case (issue 20).
#include "common/tags.h"

#include <gtest/gtest.h>

namespace coffer {
namespace {

TEST(ReservedTagKeyTest, RefusesAwsPrefixInEveryLetterCase) {
  for (const char* key : {"aws:x", "AWS:team", "Aws:a", "aWs:", "awS:b", "AwS:c", "aWS:", "AWs:"}) {
    EXPECT_TRUE(IsReservedTagKey(key)) << key;
  }
}

TEST(ReservedTagKeyTest, AllowsKeysThatOnlyResembleThePrefix) {
  for (const char* key : {"", "aws", "aws-team", "awsx:a", " aws:a", "team:aws:", "a:ws", "AWS"}) {
    EXPECT_FALSE(IsReservedTagKey(key)) << key;
  }
}

}  // namespace
}  // namespace coffer
