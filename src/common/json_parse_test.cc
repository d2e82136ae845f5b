// ParseJson must accept exactly what nlohmann::json::parse accepts and yield
// the same value (nlohmann is the reference: the parser it replaces on the
// request path).
#include "common/json_parse.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace coffer {
namespace {

using nlohmann::json;

std::optional<json> Reference(std::string_view text) {
  json v = json::parse(text.begin(), text.end(), nullptr, false);
  if (v.is_discarded()) return std::nullopt;
  return v;
}

void ExpectSameAsNlohmann(std::string_view text) {
  const std::optional<json> got = ParseJson(text);
  const std::optional<json> want = Reference(text);
  ASSERT_EQ(got.has_value(), want.has_value()) << "input: " << text;
  if (got) {
    EXPECT_EQ(*got, *want) << "input: " << text;
    EXPECT_EQ(got->dump(), want->dump()) << "input: " << text;  // same number types too
  }
}

TEST(JsonParseTest, AcceptsWhatNlohmannAccepts) {
  const std::vector<std::string> docs = {
      R"({})",
      R"([])",
      R"({"KeyId":"alias/x","Plaintext":"aGk=","EncryptionContext":{"a":"b"}})",
      R"({"NumberOfBytes":32})",
      R"({"n":-0})",
      R"({"n":1.0})",
      R"({"n":1e2})",
      R"({"n":-9223372036854775808})",
      R"({"n":18446744073709551615})",
      R"({"n":18446744073709551616})",
      R"({"n":123456789012345678901234567890})",
      R"({"a":[1,[2,[3,{"b":null}]]],"t":true,"f":false})",
      R"(  {"ws" : "x"}  )",
      R"("just a string")",
      R"(42)",
      R"(null)",
      R"({"dup":1,"dup":2})",
      R"({"u":"\u00e9\ud83d\udd11\n\t\"\\\/"})",
      "{\"utf8\":\"caf\xC3\xA9\"}",
      R"({"e":""})",
  };
  for (const auto& d : docs) ExpectSameAsNlohmann(d);
}

TEST(JsonParseTest, RejectsWhatNlohmannRejects) {
  const std::vector<std::string> docs = {
      "",
      "{",
      "}",
      R"({"a":})",
      R"({"a":1,})",
      R"([1,])",
      R"({'a':1})",
      R"({"a":01})",
      R"({"a":1.})",
      R"({"a":.5})",
      R"({"a":+1})",
      R"({"a":NaN})",
      R"({"a":"\x"})",
      R"({"a":"\u12"})",
      R"({"a":"\ud800"})",
      R"({"a":"\udc00x"})",
      "{\"a\":\"\x01\"}",
      "{\"a\":\"\xC3\"}",
      "{\"a\":\"\xED\xA0\x80\"}",
      "{\"a\":\"\xFF\"}",
      R"({} {})",
      R"({"a":1}x)",
      R"(tru)",
      R"(nul)",
      R"({"a" 1})",
      R"({"a":[1 2]})",
      "\xEF\xBB\xBF{}",
  };
  for (const auto& d : docs) ExpectSameAsNlohmann(d);
}

TEST(JsonParseTest, DeepNestingGivesNlohmannsAnswer) {
  const std::string deep = std::string(5000, '[') + std::string(5000, ']');
  ExpectSameAsNlohmann(deep);
  ExpectSameAsNlohmann(std::string(5000, '['));
}

TEST(JsonParseTest, MatchesNlohmannOnMutatedDocuments) {
  // Differential check: single-byte mutations of a realistic request.
  const std::string base =
      R"({"KeyId":"arn:aws:kms:us-east-1:111122223333:key/1234","Plaintext":"aGVsbG8=",)"
      R"("EncryptionContext":{"k\u00e9":"v"},"GrantTokens":["t1","t2"],"NumberOfBytes":64,"DryRun":false})";
  const std::string alphabet = "{}[]\",:\\u0123456789.eE+-tfnl \x80\xC3\xFF\x01";
  for (std::size_t i = 0; i < base.size(); ++i) {
    for (char c : alphabet) {
      std::string doc = base;
      doc[i] = c;
      ExpectSameAsNlohmann(doc);
      if (HasFatalFailure()) return;
    }
  }
}

}  // namespace
}  // namespace coffer
