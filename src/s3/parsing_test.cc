// The pure pieces of S3: Range and conditional headers, copy sources, URI
// decoding, XML, tag sets, error names, bucket names and the error document.
#include <gtest/gtest.h>

#include <pugixml.hpp>

#include "s3/conditions.h"
#include "s3/errors.h"
#include "s3/front.h"
#include "s3/ops.h"
#include "s3/s3_test_util.h"
#include "s3/tagging.h"
#include "s3/uri.h"
#include "s3/xml.h"

namespace coffer::s3 {
namespace {

using testing::CodeOf;
using testing::MakeRequest;

// ---- Range ----------------------------------------------------------------

void ExpectRange(std::string_view header, std::uint64_t size, std::uint64_t first, std::uint64_t last) {
  std::optional<ByteRange> r = ParseRange(header, size);
  ASSERT_TRUE(r.has_value()) << header;
  EXPECT_FALSE(r->unsatisfiable) << header;
  EXPECT_EQ(r->first, first) << header;
  EXPECT_EQ(r->last, last) << header;
}

void ExpectUnsatisfiable(std::string_view header, std::uint64_t size) {
  std::optional<ByteRange> r = ParseRange(header, size);
  ASSERT_TRUE(r.has_value()) << header;
  EXPECT_TRUE(r->unsatisfiable) << header;
}

TEST(ParseRangeTest, FirstAndLast) {
  ExpectRange("bytes=0-9", 10, 0, 9);
  ExpectRange("bytes=0-0", 10, 0, 0);
  ExpectRange("bytes=3-4", 10, 3, 4);
}

TEST(ParseRangeTest, OpenEndedRunsToTheEnd) { ExpectRange("bytes=5-", 10, 5, 9); }

TEST(ParseRangeTest, SuffixIsTheLastBytes) {
  ExpectRange("bytes=-3", 10, 7, 9);
  ExpectRange("bytes=-10", 10, 0, 9);
}

TEST(ParseRangeTest, SuffixLongerThanTheObjectIsTheWholeObject) { ExpectRange("bytes=-20", 10, 0, 9); }

TEST(ParseRangeTest, LastPastTheEndIsClamped) { ExpectRange("bytes=5-100", 10, 5, 9); }

TEST(ParseRangeTest, FirstAtOrPastTheEndIsUnsatisfiable) {
  ExpectUnsatisfiable("bytes=10-", 10);
  ExpectUnsatisfiable("bytes=10-20", 10);
  ExpectUnsatisfiable("bytes=11-", 10);
}

TEST(ParseRangeTest, EmptySuffixIsUnsatisfiable) { ExpectUnsatisfiable("bytes=-0", 10); }

TEST(ParseRangeTest, AnyRangeOfAnEmptyObjectIsUnsatisfiable) {
  ExpectUnsatisfiable("bytes=0-", 0);
  ExpectUnsatisfiable("bytes=0-5", 0);
  ExpectUnsatisfiable("bytes=-3", 0);
}

TEST(ParseRangeTest, MalformedHeadersAreIgnored) {
  for (std::string_view header : {"bytes=a-b", "items=0-1", "bytes=5-2", "bytes=0-1,3-4", "bytes=5", "bytes",
                                  "0-1", "bytes=1-x", "bytes=x-", "bytes=99999999999999999999-"}) {
    EXPECT_FALSE(ParseRange(header, 10).has_value()) << header;
  }
}

// "bytes=-" names no suffix length; S3 ignores it and serves the whole object
// rather than a one-byte 206.
TEST(ParseRangeTest, SuffixWithoutLengthIsIgnored) { EXPECT_FALSE(ParseRange("bytes=-", 10).has_value()); }

// A suffix that is not a number is malformed (ignored), not a 416.
TEST(ParseRangeTest, SuffixThatIsNotANumberIsIgnored) {
  EXPECT_FALSE(ParseRange("bytes=-x", 10).has_value());
  EXPECT_FALSE(ParseRange("bytes=-3x", 10).has_value());
}

// ---- ETag lists and conditional requests ---------------------------------

TEST(EtagListMatchesTest, QuotedAndUnquoted) {
  EXPECT_TRUE(EtagListMatches("\"abc\"", "\"abc\""));
  EXPECT_TRUE(EtagListMatches("abc", "\"abc\""));
  EXPECT_TRUE(EtagListMatches("\"abc\"", "abc"));
  EXPECT_FALSE(EtagListMatches("\"abd\"", "\"abc\""));
  EXPECT_FALSE(EtagListMatches("", "\"abc\""));
}

TEST(EtagListMatchesTest, Lists) {
  EXPECT_TRUE(EtagListMatches("\"x\", \"abc\"", "\"abc\""));
  EXPECT_TRUE(EtagListMatches("\"abc\",\"x\"", "\"abc\""));
  EXPECT_FALSE(EtagListMatches("\"x\", \"y\"", "\"abc\""));
  EXPECT_FALSE(EtagListMatches("\"ab\", \"c\"", "\"abc\""));
}

TEST(EtagListMatchesTest, StarMatchesAny) {
  EXPECT_TRUE(EtagListMatches("*", "\"abc\""));
  EXPECT_TRUE(EtagListMatches(" * ", "\"abc\""));
  EXPECT_TRUE(EtagListMatches("\"x\", *", "\"abc\""));
}

TEST(EtagListMatchesTest, WeakPrefixIsIgnored) {
  EXPECT_TRUE(EtagListMatches("W/\"abc\"", "\"abc\""));
  EXPECT_FALSE(EtagListMatches("W/\"abd\"", "\"abc\""));
}

class ConditionsTest : public ::testing::Test {
 protected:
  // Modified at kModified plus half a second: HTTP dates have whole seconds.
  static constexpr std::int64_t kModified = 1700000000000;

  ConditionsTest() {
    object_.bucket = "b";
    object_.key = "k";
    object_.etag = "\"abc\"";
    object_.last_modified_ms = kModified + 500;
  }

  static std::string Before() { return HttpDate(kModified - 60000); }
  static std::string At() { return HttpDate(kModified); }
  static std::string After() { return HttpDate(kModified + 60000); }

  StatusOr<ReadVerdict> Read(std::vector<auth::Header> headers) const {
    return CheckReadConditions(MakeRequest("GetObject", "b", "k", std::move(headers)), object_);
  }

  ObjectRecord object_;
};

TEST_F(ConditionsTest, NoConditionsServe) {
  auto v = Read({});
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, ReadVerdict::kServe);
}

TEST_F(ConditionsTest, IfMatchMismatchFails) {
  EXPECT_EQ(CodeOf(Read({{"If-Match", "\"zzz\""}})), "PreconditionFailed");
  EXPECT_EQ(S3ErrorFor(Read({{"If-Match", "\"zzz\""}}).status()).http_status, 412);
  auto v = Read({{"If-Match", "\"abc\""}});
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, ReadVerdict::kServe);
}

TEST_F(ConditionsTest, IfUnmodifiedSince) {
  EXPECT_EQ(CodeOf(Read({{"If-Unmodified-Since", Before()}})), "PreconditionFailed");
  EXPECT_EQ(CodeOf(Read({{"If-Unmodified-Since", At()}})), "");
  EXPECT_EQ(CodeOf(Read({{"If-Unmodified-Since", After()}})), "");
}

// If-Match true and If-Unmodified-Since false: S3 serves the object.
TEST_F(ConditionsTest, IfMatchOverridesIfUnmodifiedSince) {
  auto v = Read({{"If-Match", "\"abc\""}, {"If-Unmodified-Since", Before()}});
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(*v, ReadVerdict::kServe);
  EXPECT_EQ(CodeOf(Read({{"If-Match", "\"zzz\""}, {"If-Unmodified-Since", After()}})), "PreconditionFailed");
}

TEST_F(ConditionsTest, IfNoneMatch) {
  auto v = Read({{"If-None-Match", "\"abc\""}});
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, ReadVerdict::kNotModified);
  v = Read({{"If-None-Match", "\"zzz\""}});
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, ReadVerdict::kServe);
}

TEST_F(ConditionsTest, IfModifiedSinceComparesWholeSeconds) {
  auto v = Read({{"If-Modified-Since", At()}});
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, ReadVerdict::kNotModified);
  v = Read({{"If-Modified-Since", After()}});
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, ReadVerdict::kNotModified);
  v = Read({{"If-Modified-Since", Before()}});
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, ReadVerdict::kServe);
}

// If-None-Match false and If-Modified-Since true: S3 answers 304 only when
// If-None-Match matches; here it does not, so the object is served.
TEST_F(ConditionsTest, IfNoneMatchOverridesIfModifiedSince) {
  auto v = Read({{"If-None-Match", "\"zzz\""}, {"If-Modified-Since", After()}});
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, ReadVerdict::kServe);
  v = Read({{"If-None-Match", "\"abc\""}, {"If-Modified-Since", Before()}});
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, ReadVerdict::kNotModified);
}

TEST_F(ConditionsTest, PreconditionFailureComesBeforeNotModified) {
  EXPECT_EQ(CodeOf(Read({{"If-Match", "\"zzz\""}, {"If-None-Match", "\"abc\""}})), "PreconditionFailed");
}

TEST_F(ConditionsTest, UnparsableDatesAreIgnored) {
  auto v = Read({{"If-Modified-Since", "yesterday"}, {"If-Unmodified-Since", "tomorrow"}});
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, ReadVerdict::kServe);
}

TEST_F(ConditionsTest, WriteIfNoneMatchStar) {
  const S3Request req = MakeRequest("PutObject", "b", "k", {{"If-None-Match", "*"}});
  EXPECT_EQ(CodeOf(CheckWriteConditions(req, nullptr)), "");
  EXPECT_EQ(CodeOf(CheckWriteConditions(req, &object_)), "PreconditionFailed");
}

TEST_F(ConditionsTest, WriteIfMatch) {
  const S3Request match = MakeRequest("PutObject", "b", "k", {{"If-Match", "\"abc\""}});
  const S3Request mismatch = MakeRequest("PutObject", "b", "k", {{"If-Match", "\"zzz\""}});
  EXPECT_EQ(CodeOf(CheckWriteConditions(match, &object_)), "");
  EXPECT_EQ(CodeOf(CheckWriteConditions(mismatch, &object_)), "PreconditionFailed");
  EXPECT_EQ(CodeOf(CheckWriteConditions(match, nullptr)), "NoSuchKey");
}

TEST_F(ConditionsTest, WriteWithoutConditionsAlwaysGoesAhead) {
  const S3Request req = MakeRequest("PutObject", "b", "k");
  EXPECT_EQ(CodeOf(CheckWriteConditions(req, nullptr)), "");
  EXPECT_EQ(CodeOf(CheckWriteConditions(req, &object_)), "");
}

TEST(ConditionalWriteHeadersTest, OnlyStarIsImplemented) {
  EXPECT_EQ(CodeOf(CheckConditionalWriteHeaders(MakeRequest("PutObject", "b", "k"))), "");
  EXPECT_EQ(
      CodeOf(CheckConditionalWriteHeaders(MakeRequest("PutObject", "b", "k", {{"If-None-Match", "*"}}))), "");
  const Status other =
      CheckConditionalWriteHeaders(MakeRequest("PutObject", "b", "k", {{"If-None-Match", "\"abc\""}}));
  EXPECT_EQ(CodeOf(other), "NotImplemented");
  EXPECT_EQ(S3ErrorFor(other).http_status, 501);
}

TEST(CopySourceConditionsTest, NotModifiedIsAFailedPrecondition) {
  ObjectRecord source;
  source.etag = "\"abc\"";
  source.last_modified_ms = 1700000000000;
  auto check = [&](std::vector<auth::Header> headers) {
    return CodeOf(CheckCopySourceConditions(MakeRequest("CopyObject", "b", "k", std::move(headers)), source));
  };
  EXPECT_EQ(check({}), "");
  EXPECT_EQ(check({{"x-amz-copy-source-if-match", "\"abc\""}}), "");
  EXPECT_EQ(check({{"x-amz-copy-source-if-match", "\"zzz\""}}), "PreconditionFailed");
  EXPECT_EQ(check({{"x-amz-copy-source-if-none-match", "\"abc\""}}), "PreconditionFailed");
}

// ---- x-amz-copy-source ----------------------------------------------------

TEST(ParseCopySourceTest, BucketAndKey) {
  auto s = ParseCopySource("src/dir/key.txt");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->bucket, "src");
  EXPECT_EQ(s->key, "dir/key.txt");
}

TEST(ParseCopySourceTest, LeadingSlash) {
  auto s = ParseCopySource("/src/key");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->bucket, "src");
  EXPECT_EQ(s->key, "key");
}

TEST(ParseCopySourceTest, PercentEncodedKey) {
  auto s = ParseCopySource("src/a%20b%2Fc%3Fd+e");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->key, "a b/c?d+e");
}

TEST(ParseCopySourceTest, VersionIdIsStripped) {
  auto s = ParseCopySource("src/key?versionId=abc123");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->bucket, "src");
  EXPECT_EQ(s->key, "key");
}

TEST(ParseCopySourceTest, RejectsMalformedSources) {
  for (std::string_view header :
       {"", "src", "/src", "src/", "/src/", "/key-only", "src/key?other=1", "src/%zz"}) {
    EXPECT_EQ(CodeOf(ParseCopySource(header)), "InvalidArgument") << header;
  }
}

// ---- URI decoding and encoding --------------------------------------------

TEST(PercentDecodeTest, DecodesEscapes) {
  EXPECT_EQ(PercentDecode("%41%62c", false), "Abc");
  EXPECT_EQ(PercentDecode("%2f%2F", false), "//");
  EXPECT_EQ(PercentDecode("", false), "");
  EXPECT_EQ(PercentDecode("%C3%A9", false), "\xC3\xA9");
}

TEST(PercentDecodeTest, PlusIsSpaceOnlyWhenAsked) {
  EXPECT_EQ(PercentDecode("a+b", true), "a b");
  EXPECT_EQ(PercentDecode("a+b", false), "a+b");
  EXPECT_EQ(PercentDecode("a%2Bb", true), "a+b");
}

TEST(PercentDecodeTest, RejectsMalformedEscapes) {
  for (std::string_view text : {"%", "%4", "%zz", "%4g", "%g4", "abc%", "abc%4", "%%41"}) {
    EXPECT_FALSE(PercentDecode(text, false).has_value()) << text;
  }
}

TEST(ParseQueryTest, PairsInOrder) {
  const std::vector<std::pair<std::string, std::string>> want = {
      {"b", "2"}, {"a", "1"}, {"c", ""}, {"d", ""}, {"e", "x=y"}, {"q", "a b"}, {"f", "%zz"}};
  EXPECT_EQ(ParseQuery("b=2&a=1&c&d=&e=x%3Dy&&q=a+b&f=%zz"), want);
  EXPECT_TRUE(ParseQuery("").empty());
  EXPECT_TRUE(ParseQuery("&&").empty());
}

TEST(ParseQueryTest, KeepsRepeatedNames) {
  const std::vector<std::pair<std::string, std::string>> want = {{"a", "1"}, {"a", "2"}};
  EXPECT_EQ(ParseQuery("a=1&a=2"), want);
}

TEST(UrlEncodeTest, UnreservedStay) {
  EXPECT_EQ(UrlEncode("AZaz09-_.~", false), "AZaz09-_.~");
  EXPECT_EQ(UrlEncode("a b+c&d=e", false), "a%20b%2Bc%26d%3De");
  EXPECT_EQ(UrlEncode("\xC3\xA9", false), "%C3%A9");
}

TEST(UrlEncodeTest, SlashOnlyWhenKept) {
  EXPECT_EQ(UrlEncode("a/b c", false), "a%2Fb%20c");
  EXPECT_EQ(UrlEncode("a/b c", true), "a/b%20c");
}

TEST(UrlEncodeTest, RoundTripsThroughPercentDecode) {
  const std::string text = "dir/some key+&=%\x01\xff";
  EXPECT_EQ(PercentDecode(UrlEncode(text, false), false), text);
}

// ---- XML --------------------------------------------------------------------

TEST(XmlOutTest, EscapesTextAndNests) {
  XmlOut xml("Root");
  xml.Open("A").Leaf("B", "x<y&z\"'>\r\n").Leaf("N", std::uint64_t{42}).Close().Leaf("C", "");
  EXPECT_EQ(xml.Finish(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<Root xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><A>"
            "<B>x&lt;y&amp;z&quot;&apos;&gt;&#13;&#10;</B><N>42</N></A><C></C></Root>");
}

TEST(XmlOutTest, FinishClosesWhatIsOpen) {
  XmlOut xml("R", "");
  xml.Open("A").Open("B");
  EXPECT_EQ(xml.Finish(), "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<R><A><B></B></A></R>");
}

TEST(XmlOutTest, EscapedTextParsesBack) {
  XmlOut xml("Root");
  xml.Leaf("Key", "a<b>&\"c'\n");
  auto doc = XmlDoc::Parse(xml.Finish());
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  auto root = doc->Root("Root");
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(ChildText(*root, "Key"), "a<b>&\"c'\n");
}

TEST(XmlDocTest, MalformedXmlIsMalformedXml) {
  for (std::string_view text : {"", "not xml", "<a><b></a>", "<a>", "<a></b>", "<a x=></a>"}) {
    auto doc = XmlDoc::Parse(text);
    EXPECT_EQ(CodeOf(doc), "MalformedXML") << text;
    if (!doc.ok()) {
      EXPECT_EQ(S3ErrorFor(doc.status()).http_status, 400);
    }
  }
}

TEST(XmlDocTest, WrongRootIsMalformedXml) {
  auto doc = XmlDoc::Parse("<Tagging><TagSet/></Tagging>");
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(CodeOf(doc->Root("Delete")), "MalformedXML");
  EXPECT_TRUE(doc->Root("Tagging").ok());
}

TEST(XmlDocTest, NamespacePrefixesAreIgnored) {
  auto doc = XmlDoc::Parse(
      "<s3:Delete xmlns:s3=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
      "<s3:Quiet>true</s3:Quiet><s3:Object><s3:Key>k1</s3:Key></s3:Object>"
      "<Object><Key>k2</Key></Object></s3:Delete>");
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  auto root = doc->Root("Delete");
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(ChildText(*root, "Quiet"), "true");
  EXPECT_TRUE(HasChild(*root, "Quiet"));
  EXPECT_FALSE(HasChild(*root, "Missing"));
  EXPECT_EQ(ChildText(*root, "Missing"), "");
  const auto objects = Children(*root, "Object");
  ASSERT_EQ(objects.size(), 2u);
  EXPECT_EQ(ChildText(objects[0], "Key"), "k1");
  EXPECT_EQ(ChildText(objects[1], "Key"), "k2");
}

// ---- Tag sets ---------------------------------------------------------------

std::string TaggingBody(const std::vector<std::pair<std::string, std::string>>& tags) {
  std::string body = "<Tagging><TagSet>";
  for (const auto& [k, v] : tags) body += "<Tag><Key>" + k + "</Key><Value>" + v + "</Value></Tag>";
  return body + "</TagSet></Tagging>";
}

TEST(ParseTaggingXmlTest, ReadsTheTagSet) {
  auto tags = ParseTaggingXml(TaggingBody({{"a", "1"}, {"b", ""}}), kMaxObjectTags);
  ASSERT_TRUE(tags.ok()) << tags.status().ToString();
  EXPECT_EQ(*tags, (Tags{{"a", "1"}, {"b", ""}}));
  auto empty = ParseTaggingXml("<Tagging><TagSet></TagSet></Tagging>", kMaxObjectTags);
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST(ParseTaggingXmlTest, RoundTripsThroughTaggingXml) {
  const Tags tags = {{"env", "prod & <test>"}, {"team", "a\"b"}};
  auto parsed = ParseTaggingXml(TaggingXml(tags), kMaxObjectTags);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(*parsed, tags);
}

TEST(ParseTaggingXmlTest, DuplicateKeyIsInvalidTag) {
  EXPECT_EQ(CodeOf(ParseTaggingXml(TaggingBody({{"a", "1"}, {"a", "2"}}), kMaxObjectTags)), "InvalidTag");
}

TEST(ParseTaggingXmlTest, AwsPrefixIsInvalidTag) {
  EXPECT_EQ(CodeOf(ParseTaggingXml(TaggingBody({{"aws:x", "1"}}), kMaxObjectTags)), "InvalidTag");
  EXPECT_EQ(CodeOf(ParseTaggingXml(TaggingBody({{"AWS:x", "1"}}), kMaxObjectTags)), "InvalidTag");
}

TEST(ParseTaggingXmlTest, KeyLength) {
  EXPECT_TRUE(ParseTaggingXml(TaggingBody({{std::string(128, 'k'), "1"}}), kMaxObjectTags).ok());
  EXPECT_EQ(CodeOf(ParseTaggingXml(TaggingBody({{std::string(129, 'k'), "1"}}), kMaxObjectTags)),
            "InvalidTag");
  EXPECT_EQ(CodeOf(ParseTaggingXml(TaggingBody({{"", "1"}}), kMaxObjectTags)), "InvalidTag");
}

TEST(ParseTaggingXmlTest, ValueLength) {
  EXPECT_TRUE(ParseTaggingXml(TaggingBody({{"k", std::string(256, 'v')}}), kMaxObjectTags).ok());
  EXPECT_EQ(CodeOf(ParseTaggingXml(TaggingBody({{"k", std::string(257, 'v')}}), kMaxObjectTags)),
            "InvalidTag");
}

TEST(ParseTaggingXmlTest, TooManyTags) {
  std::vector<std::pair<std::string, std::string>> tags;
  for (int i = 0; i < 10; ++i) tags.emplace_back("k" + std::to_string(i), "v");
  EXPECT_TRUE(ParseTaggingXml(TaggingBody(tags), kMaxObjectTags).ok());
  tags.emplace_back("k10", "v");
  EXPECT_EQ(CodeOf(ParseTaggingXml(TaggingBody(tags), kMaxObjectTags)), "InvalidTag");
  EXPECT_TRUE(ParseTaggingXml(TaggingBody(tags), kMaxBucketTags).ok());
}

TEST(ParseTaggingXmlTest, MissingPiecesAreMalformedXml) {
  EXPECT_EQ(CodeOf(ParseTaggingXml("<Tagging><TagSet><Tag><Value>1</Value></Tag></TagSet></Tagging>",
                                   kMaxObjectTags)),
            "MalformedXML");
  EXPECT_EQ(
      CodeOf(ParseTaggingXml("<Tagging><TagSet><Tag><Key>k</Key></Tag></TagSet></Tagging>", kMaxObjectTags)),
      "MalformedXML");
  EXPECT_EQ(CodeOf(ParseTaggingXml("<Tagging></Tagging>", kMaxObjectTags)), "MalformedXML");
  EXPECT_EQ(CodeOf(ParseTaggingXml("<TagSet></TagSet>", kMaxObjectTags)), "MalformedXML");
  EXPECT_EQ(CodeOf(ParseTaggingXml("<Tagging><TagSet>", kMaxObjectTags)), "MalformedXML");
}

TEST(ParseTaggingHeaderTest, ReadsUrlEncodedPairs) {
  auto tags = ParseTaggingHeader("a=1&b=x%20y&c=&d", kMaxObjectTags);
  ASSERT_TRUE(tags.ok()) << tags.status().ToString();
  EXPECT_EQ(*tags, (Tags{{"a", "1"}, {"b", "x y"}, {"c", ""}, {"d", ""}}));
  auto none = ParseTaggingHeader("", kMaxObjectTags);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST(ParseTaggingHeaderTest, AppliesTheTagRules) {
  EXPECT_EQ(CodeOf(ParseTaggingHeader("a=1&a=2", kMaxObjectTags)), "InvalidTag");
  EXPECT_EQ(CodeOf(ParseTaggingHeader("aws%3Ax=1", kMaxObjectTags)), "InvalidTag");
  EXPECT_EQ(CodeOf(ParseTaggingHeader("=1", kMaxObjectTags)), "InvalidTag");
  EXPECT_EQ(CodeOf(ParseTaggingHeader(std::string(129, 'k') + "=1", kMaxObjectTags)), "InvalidTag");
  EXPECT_EQ(CodeOf(ParseTaggingHeader("k=" + std::string(257, 'v'), kMaxObjectTags)), "InvalidTag");
  std::string many;
  for (int i = 0; i < 11; ++i) many += (i ? "&k" : "k") + std::to_string(i) + "=v";
  EXPECT_EQ(CodeOf(ParseTaggingHeader(many, kMaxObjectTags)), "InvalidTag");
}

// ---- Error names ------------------------------------------------------------

TEST(S3ErrorForTest, NamedCodesKeepTheirStatus) {
  const std::pair<std::string_view, int> cases[] = {
      {"NoSuchKey", 404},           {"NoSuchBucket", 404},
      {"NoSuchUpload", 404},        {"InvalidRange", 416},
      {"PreconditionFailed", 412},  {"BucketNotEmpty", 409},
      {"BucketAlreadyExists", 409}, {"SignatureDoesNotMatch", 403},
      {"MethodNotAllowed", 405},    {"NotImplemented", 501},
      {"MalformedXML", 400},        {"EntityTooSmall", 400},
      {"AccessDenied", 403},        {"SlowDown", 503},
      {"InternalError", 500},
  };
  for (const auto& [code, http] : cases) {
    const S3ErrorInfo info = S3ErrorFor(S3Error(code, "m"));
    EXPECT_EQ(info.code, code);
    EXPECT_EQ(info.http_status, http) << code;
  }
}

TEST(S3ErrorForTest, HelpersNameTheirCodes) {
  EXPECT_EQ(CodeOf(NoSuchBucket("b")), "NoSuchBucket");
  EXPECT_EQ(CodeOf(NoSuchKey("k")), "NoSuchKey");
  EXPECT_EQ(CodeOf(NoSuchUpload("u")), "NoSuchUpload");
  EXPECT_EQ(CodeOf(InvalidArgument("m")), "InvalidArgument");
  EXPECT_EQ(CodeOf(InvalidRequest("m")), "InvalidRequest");
  EXPECT_EQ(CodeOf(MalformedXml()), "MalformedXML");
}

TEST(S3ErrorForTest, GenericCodesGetS3Names) {
  const std::tuple<ErrorCode, std::string_view, int> cases[] = {
      {ErrorCode::kInvalidSignature, "SignatureDoesNotMatch", 403},
      {ErrorCode::kUnrecognizedClient, "InvalidAccessKeyId", 403},
      {ErrorCode::kAccessDenied, "AccessDenied", 403},
      {ErrorCode::kMissingAuthenticationToken, "AccessDenied", 403},
      {ErrorCode::kThrottling, "SlowDown", 503},
      {ErrorCode::kInternal, "InternalError", 500},
      {ErrorCode::kMethodNotAllowed, "MethodNotAllowed", 405},
      {ErrorCode::kNotImplemented, "NotImplemented", 501},
      {ErrorCode::kSignatureExpired, "RequestTimeTooSkewed", 403},
  };
  for (const auto& [code, name, http] : cases) {
    const S3ErrorInfo info = S3ErrorFor(Status(code, "m"));
    EXPECT_EQ(info.code, name) << ErrorName(code);
    EXPECT_EQ(info.http_status, http) << ErrorName(code);
  }
}

TEST(S3ErrorForTest, ForeignNamesAreKept) {
  const S3ErrorInfo info = S3ErrorFor(Status(ErrorCode::kNotFound, "m").Named("KMS.NotFoundException"));
  EXPECT_EQ(info.code, "KMS.NotFoundException");
  EXPECT_EQ(info.http_status, 400);
}

// ---- Bucket names -------------------------------------------------------------

TEST(ValidateBucketNameTest, ValidNames) {
  for (const std::string& name :
       {std::string("abc"), std::string("my-bucket.example"), std::string("1bucket"), std::string("a.b-c.d"),
        std::string(63, 'a'), std::string("1.2.3.4a")}) {
    EXPECT_TRUE(ValidateBucketName(name).ok()) << name;
  }
}

TEST(ValidateBucketNameTest, EachRuleRejects) {
  for (const std::string& name : {std::string(""),
                                  std::string("ab"),
                                  std::string(64, 'a'),  // length
                                  std::string("MyBucket"),
                                  std::string("my_bucket"),
                                  std::string("my bucket"),  // characters
                                  std::string("-bucket"),
                                  std::string("bucket-"),
                                  std::string(".bucket"),
                                  std::string("bucket."),
                                  std::string("my..bucket"),
                                  std::string("my.-bucket"),
                                  std::string("my-.bucket"),
                                  std::string("192.168.5.4"),  // IP address
                                  std::string("xn--bucket"),
                                  std::string("sthree-bucket"),
                                  std::string("amzn-s3-demo-bucket"),
                                  std::string("bucket-s3alias"),
                                  std::string("bucket--ol-s3"),
                                  std::string("bucket.mrap"),
                                  std::string("bucket--x-s3")}) {
    const Status st = ValidateBucketName(name);
    EXPECT_EQ(CodeOf(st), "InvalidBucketName") << name;
  }
}

// ---- Error document ---------------------------------------------------------------

std::string HeaderOf(const server::HttpResponse& response, std::string_view name) {
  for (const auto& [k, v] : response.headers) {
    if (k == name) return v;
  }
  return {};
}

TEST(S3ErrorResponseTest, DocumentNamesCodeMessageResourceAndRequest) {
  const server::HttpResponse r = S3ErrorResponse(NoSuchKey("a&b"), "/bucket/a&b", "REQ-42", false);
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(HeaderOf(r, "x-amz-request-id"), "REQ-42");
  EXPECT_FALSE(HeaderOf(r, "x-amz-id-2").empty());
  EXPECT_EQ(HeaderOf(r, "Content-Type"), "application/xml");
  auto doc = XmlDoc::Parse(r.body);
  ASSERT_TRUE(doc.ok()) << r.body;
  auto root = doc->Root("Error");
  ASSERT_TRUE(root.ok()) << r.body;
  EXPECT_EQ(ChildText(*root, "Code"), "NoSuchKey");
  EXPECT_EQ(ChildText(*root, "Message"), "The specified key does not exist.");
  EXPECT_EQ(ChildText(*root, "Resource"), "/bucket/a&b");
  EXPECT_EQ(ChildText(*root, "RequestId"), "REQ-42");
  EXPECT_EQ(ChildText(*root, "HostId"), HeaderOf(r, "x-amz-id-2"));
}

TEST(S3ErrorResponseTest, GenericStatusUsesTheS3Name) {
  const server::HttpResponse r =
      S3ErrorResponse(Status(ErrorCode::kInvalidSignature, "bad"), "/b", "REQ-1", false);
  EXPECT_EQ(r.status, 403);
  auto doc = XmlDoc::Parse(r.body);
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(ChildText(*doc->Root("Error"), "Code"), "SignatureDoesNotMatch");
}

TEST(S3ErrorResponseTest, HeadRequestGetsNoBody) {
  const server::HttpResponse r = S3ErrorResponse(NoSuchKey("k"), "/b/k", "REQ-7", true);
  EXPECT_EQ(r.status, 404);
  EXPECT_TRUE(r.body.empty());
  EXPECT_EQ(HeaderOf(r, "x-amz-request-id"), "REQ-7");
}

}  // namespace
}  // namespace coffer::s3
