// WriteJson must produce exactly what nlohmann's dump(-1, ' ', false,
// replace) produces (the serialiser it replaces on the response path): the
// reference is nlohmann's own output for each value.
#include "common/json_writer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace coffer {
namespace {

using nlohmann::json;

std::string Reference(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

TEST(JsonWriterTest, MatchesNlohmannOnScalarsAndContainers) {
  const std::vector<json> values = {
      json(nullptr),
      json(true),
      json(false),
      json(0),
      json(-1),
      json(INT64_MIN),
      json(UINT64_MAX),
      json(1.5),
      json(1700000000.123),
      json(""),
      json::object(),
      json::array(),
      json{{"CiphertextBlob", "AQICAHh+/="}, {"KeyId", "arn:aws:kms:us-east-1:111122223333:key/abc"}},
      json{{"a", json::array({1, "two", nullptr, json{{"b", false}}})}, {"z", json::object()}},
  };
  for (const json& v : values) EXPECT_EQ(WriteJson(v), Reference(v)) << Reference(v);
}

TEST(JsonWriterTest, EscapesQuotesBackslashesAndEveryControlCharacter) {
  std::string text = "q\"b\\s/";
  for (int c = 0; c < 0x20; ++c) text.push_back(static_cast<char>(c));
  text.push_back(0x7f);
  const json v = {{"message", text}, {text, 1}};
  EXPECT_EQ(WriteJson(v), Reference(v));
}

TEST(JsonWriterTest, PassesWellFormedUtf8Through) {
  const json v = {{"m", "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x94\x91 \xEF\xBF\xBF \xED\x9F\xBF"}};
  EXPECT_EQ(WriteJson(v), Reference(v));
  EXPECT_NE(WriteJson(v).find("\xF0\x9F\x94\x91"), std::string::npos);
}

TEST(JsonWriterTest, ReplacesMalformedUtf8LikeNlohmann) {
  // Stray continuation, overlong, surrogate, beyond U+10FFFF, truncated at
  // the end, truncated before ASCII.
  const std::vector<std::string> bad = {"\x80",      "a\xC0\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80",
                                        "x\xE2\x82", "\xE2(\xA1", "\xF0\x9F\x94", "\xFF\xFE"};
  for (const std::string& s : bad) {
    const json v = {{"m", s}};
    EXPECT_EQ(WriteJson(v), Reference(v)) << Reference(v);
    EXPECT_NE(WriteJson(v).find("\xEF\xBF\xBD"), std::string::npos);
  }
}

TEST(JsonWriterTest, MatchesNlohmannOnRandomBytes) {
  // Differential check over byte strings biased towards UTF-8 lead and
  // continuation bytes, where the replacement rules are subtle.
  std::uint32_t state = 12345;
  const auto next = [&state] {
    state = state * 1664525u + 1013904223u;
    return static_cast<unsigned char>(state >> 24);
  };
  const unsigned char interesting[] = {0x00, 0x1f, '"',  '\\', 'a',  0x7f, 0x80, 0xbf, 0xc0, 0xc2,
                                       0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff, 0xa0, 0x9f};
  for (int n = 0; n < 5000; ++n) {
    std::string s;
    const int len = next() % 12;
    for (int k = 0; k < len; ++k) {
      const unsigned char r = next();
      s.push_back(static_cast<char>(r % 2 ? interesting[r % sizeof(interesting)] : r));
    }
    const json v = {{"m", s}};
    ASSERT_EQ(WriteJson(v), Reference(v)) << Reference(v);
  }
}

TEST(JsonWriterTest, MatchesNlohmannWithOneSpecialByteAtEveryPositionOfLongStrings) {
  // Clean text is skipped eight bytes at a time: a byte that needs care must
  // be found wherever it falls within or across those words.
  const std::string specials[] = {"\"",
                                  "\\",
                                  "\n",
                                  std::string(1, '\0'),
                                  "\x1f",
                                  "\x7f",
                                  "\xC3\xA9",
                                  "\xE2\x82\xAC",
                                  "\xF0\x9F\x98\x80",
                                  "\xC3",
                                  "\xff",
                                  " ",
                                  "~"};
  for (std::size_t len = 0; len <= 40; ++len) {
    for (std::size_t at = 0; at <= len; ++at) {
      for (const std::string& special : specials) {
        std::string s(len, 'k');
        s.insert(at, special);
        const json v = {{"m", s}};
        ASSERT_EQ(WriteJson(v), Reference(v)) << "len " << len << " at " << at;
      }
    }
  }
}

// JsonOut builds the same document as the DOM does, commas and nesting
// included; the reference is nlohmann's dump of the DOM built alongside.
TEST(JsonOutTest, WritesTheDocumentTheDomWouldHold) {
  std::string text;
  JsonOut out(text);
  out.BeginObject().Member("a", "x\"y").Member("b", true).Key("c").Null();
  out.Key("d").BeginArray().BeginObject().EndObject().BeginArray().EndArray().String("s").Bool(false);
  out.Value(json{{"n", 3}, {"m", json::array({1.5, -2})}}).EndArray();
  out.Key("e").BeginObject().Member("f", std::string("bad\xff")).EndObject().EndObject();
  const json expected = {{"a", "x\"y"},
                         {"b", true},
                         {"c", nullptr},
                         {"d", json::array({json::object(), json::array(), "s", false,
                                            json{{"n", 3}, {"m", json::array({1.5, -2})}}})},
                         {"e", {{"f", "bad\xEF\xBF\xBD"}}}};
  EXPECT_EQ(json::parse(text), expected);
  // Member order is the order written, not sorted.
  EXPECT_LT(text.find("\"d\""), text.find("\"e\""));
}

TEST(JsonOutTest, EmptyContainersAndTopLevelScalars) {
  std::string text;
  JsonOut(text).BeginArray().EndArray();
  EXPECT_EQ(text, "[]");
  text.clear();
  JsonOut(text).String("only");
  EXPECT_EQ(text, "\"only\"");
}

}  // namespace
}  // namespace coffer
