#include "s3/part_paging.h"

#include <gtest/gtest.h>

#include "s3/errors.h"

namespace coffer::s3 {
namespace {

std::string CodeOf(const Status& status) { return std::string(S3ErrorFor(status).code); }

TEST(PartsPaging, AbsentHeadersListFromTheFirstPartUpToAThousand) {
  StatusOr<PartsPaging> paging = PartsPagingOf(std::nullopt, std::nullopt);
  ASSERT_TRUE(paging.ok());
  EXPECT_EQ(paging->max_parts, 1000U);
  EXPECT_EQ(paging->marker, 0U);
}

TEST(PartsPaging, MaxPartsAboveAThousandIsAThousand) {
  StatusOr<PartsPaging> paging = PartsPagingOf("5000", "7");
  ASSERT_TRUE(paging.ok());
  EXPECT_EQ(paging->max_parts, 1000U);
  EXPECT_EQ(paging->marker, 7U);
}

TEST(PartsPaging, RejectsValuesThatAreNotNonNegativeIntegers) {
  for (std::string_view bad : {"-1", "abc", "", "1.5", " 3", "99999999999"}) {
    StatusOr<PartsPaging> max = PartsPagingOf(bad, std::nullopt);
    ASSERT_FALSE(max.ok()) << bad;
    EXPECT_EQ(CodeOf(max.status()), "InvalidArgument") << bad;
    StatusOr<PartsPaging> marker = PartsPagingOf(std::nullopt, bad);
    ASSERT_FALSE(marker.ok()) << bad;
    EXPECT_EQ(CodeOf(marker.status()), "InvalidArgument") << bad;
  }
}

TEST(PartsPage, WholeListFitsInOnePage) {
  const PartsPage page = PageOfParts(3, PartsPaging{});
  EXPECT_EQ(page.first, 0U);
  EXPECT_EQ(page.count, 3U);
  EXPECT_FALSE(page.truncated);
}

TEST(PartsPage, PagesWalkTheListWithoutGapOrOverlap) {
  std::size_t listed = 0;
  PartsPaging paging{2, 0};
  for (int i = 0; i < 3; ++i) {
    const PartsPage page = PageOfParts(5, paging);
    EXPECT_EQ(page.first, listed);
    listed += page.count;
    EXPECT_EQ(page.truncated, listed < 5);
    paging.marker = page.first + page.count;  // NextPartNumberMarker
  }
  EXPECT_EQ(listed, 5U);
}

TEST(PartsPage, MarkerAtOrPastTheLastPartGivesAnEmptyPage) {
  for (std::uint64_t marker : {5ULL, 6ULL, 10000ULL}) {
    const PartsPage page = PageOfParts(5, PartsPaging{1000, marker});
    EXPECT_EQ(page.count, 0U);
    EXPECT_FALSE(page.truncated);
  }
}

TEST(PartsPage, ZeroMaxPartsListsNothingButSaysMoreRemain) {
  const PartsPage page = PageOfParts(2, PartsPaging{0, 0});
  EXPECT_EQ(page.count, 0U);
  EXPECT_TRUE(page.truncated);
}

TEST(MpObjectSize, AbsentHeaderDeclaresNothing) {
  StatusOr<std::optional<std::uint64_t>> size = ParseMpObjectSize(std::nullopt);
  ASSERT_TRUE(size.ok());
  EXPECT_FALSE(size->has_value());
  EXPECT_TRUE(CheckMpObjectSize(std::nullopt, 12345).ok());
}

TEST(MpObjectSize, MatchingSizePasses) {
  StatusOr<std::optional<std::uint64_t>> size = ParseMpObjectSize("5242899");
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(size->value(), 5242899U);
  EXPECT_TRUE(CheckMpObjectSize(*size, 5242899).ok());
  EXPECT_TRUE(CheckMpObjectSize(0, 0).ok());
}

TEST(MpObjectSize, MismatchIsInvalidRequestNamingBothSizes) {
  const Status status = CheckMpObjectSize(100, 101);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(CodeOf(status), "InvalidRequest");
  EXPECT_EQ(S3ErrorFor(status).http_status, 400);
  EXPECT_EQ(status.message(),
            "The provided 'x-amz-mp-object-size' header value 100 does not match what was computed: 101");
}

TEST(MpObjectSize, NegativeAndNonNumericValuesAreInvalidRequest) {
  StatusOr<std::optional<std::uint64_t>> negative = ParseMpObjectSize("-1");
  ASSERT_FALSE(negative.ok());
  EXPECT_EQ(CodeOf(negative.status()), "InvalidRequest");
  EXPECT_EQ(negative.status().message(), "Value for x-amz-mp-object-size header is less than zero: '-1'");
  for (std::string_view bad : {"size", "", "12x", "1e3", "99999999999999999999"}) {
    StatusOr<std::optional<std::uint64_t>> parsed = ParseMpObjectSize(bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(CodeOf(parsed.status()), "InvalidRequest") << bad;
    EXPECT_EQ(parsed.status().message(),
              "Value for x-amz-mp-object-size header is invalid: '" + std::string(bad) + "'");
  }
}

}  // namespace
}  // namespace coffer::s3
