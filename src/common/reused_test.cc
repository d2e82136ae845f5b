#include "common/reused.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>

namespace coffer {
namespace {

struct SiteA;
struct SiteB;

TEST(ReusedTest, ASecondUseOnTheThreadGetsTheSameObjectBack) {
  std::string* first = nullptr;
  {
    const Reused<std::string, SiteA> s;
    s->assign(100, 'x');
    first = &*s;
  }
  const Reused<std::string, SiteA> again;
  EXPECT_EQ(&*again, first);
  EXPECT_EQ(*again, std::string(100, 'x'));  // what the previous user left: users assign
}

TEST(ReusedTest, ANestedUseGetsAnObjectOfItsOwn) {
  const Reused<std::string, SiteA> outer;
  *outer = "outer";
  {
    const Reused<std::string, SiteA> inner;
    EXPECT_NE(&*inner, &*outer);
    EXPECT_TRUE(inner->empty());
    *inner = "inner";
  }
  EXPECT_EQ(*outer, "outer");
  const Reused<std::string, SiteB> other_site;
  EXPECT_NE(&*other_site, &*outer);
}

TEST(ReusedTest, EachThreadHasItsOwn) {
  std::string* here = nullptr;
  {
    const Reused<std::string, SiteB> s;
    here = &*s;
  }
  std::string* there = nullptr;
  std::thread([&there] {
    const Reused<std::string, SiteB> s;
    there = &*s;
  }).join();
  EXPECT_NE(here, there);
}

struct Record {
  std::string kept;
  std::string not_listed;
  int number = 0;
  bool flag = false;
};

TEST(ResetKeepingCapacityTest, ResetsEveryFieldAndKeepsOnlyTheListedCapacity) {
  Record r{std::string(200, 'k'), std::string(200, 'n'), 7, true};
  const char* kept_buffer = r.kept.data();
  ResetKeepingCapacity(r, std::array{&r.kept});
  EXPECT_TRUE(r.kept.empty());
  EXPECT_GE(r.kept.capacity(), 200u);
  EXPECT_EQ(r.kept.data(), kept_buffer);
  EXPECT_TRUE(r.not_listed.empty());
  EXPECT_EQ(r.number, 0);
  EXPECT_FALSE(r.flag);
}

TEST(StringMapTest, FindsByViewWithoutBuildingAString) {
  StringMap<int> m;
  m.emplace("us-east-1/111122223333/key", 3);
  const std::string_view probe = "xus-east-1/111122223333/keyx";
  const auto it = m.find(probe.substr(1, probe.size() - 2));
  ASSERT_NE(it, m.end());
  EXPECT_EQ(it->second, 3);
  EXPECT_EQ(m.find(std::string_view("us-east-1/111122223333/ke")), m.end());
}

}  // namespace
}  // namespace coffer
