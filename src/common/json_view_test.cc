// JsonView must read a simdjson-parsed document exactly as the same code
// reads nlohmann's parse of the same text (nlohmann is the reference: the
// request path was written against it), and JsonOut must write a view with
// the values WriteJson writes for the nlohmann value.
#include "common/json_view.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "common/json_writer.h"

namespace coffer {
namespace {

using nlohmann::json;

// Everything a reader can observe of a value, as text, through the view API.
std::string Describe(JsonView v) {
  std::string out;
  if (v.absent()) return "absent";
  out += v.is_null() ? "null " : "";
  out += v.is_object() ? "object " : "";
  out += v.is_array() ? "array " : "";
  out += v.is_string() ? "string:" + std::string(v.str()) + " " : "";
  out += v.is_boolean() ? (v.boolean() ? "true " : "false ") : "";
  if (v.is_number()) {
    out += "number:" + std::to_string(v.number()) + (v.is_number_float() ? " float" : "") +
           (v.is_number_unsigned() ? " big" : "") + " i=" + std::to_string(v.int64()) +
           " u=" + std::to_string(v.uint64()) + " ";
  }
  out += "size=" + std::to_string(v.size()) + " {";
  // nlohmann keeps members sorted, simdjson in document order: compare as sets.
  std::map<std::string, std::string> members;
  v.ForEachMember([&members](std::string_view key, JsonView member) {
    members.emplace(std::string(key), Describe(member));
    return true;
  });
  for (const auto& [key, description] : members) out += key + ":" + description + ",";
  out += "} [";
  v.ForEachElement([&out](JsonView element) {
    out += Describe(element) + ",";
    return true;
  });
  return out + "]";
}

const std::vector<std::string> kDocuments = {
    R"({})",
    R"([])",
    R"({"KeyId":"alias/a","Plaintext":"AAEC","EncryptionContext":{"b":"2","a":"1"}})",
    R"({"NumberOfBytes":32,"Neg":-7,"Float":1.5,"Exp":1e3,"Zero":0,"Max":9223372036854775807})",
    R"({"Big":18446744073709551615,"Bool":true,"False":false,"Null":null})",
    R"({"GrantTokens":["a","b",null,"c"],"Nested":{"x":[{"y":[1,2,{"z":"deep"}]}]}})",
    R"({"Text":"caf\u00e9 \"quoted\" \\ \n tab\t"})",
    R"("just a string")",
    R"(42)",
    R"({"Dup":1,"Dup":2,"Other":{"k":"first","k":"last"}})",
    R"({"Huge":123456789012345678901234567890})",
};

TEST(JsonViewTest, ReadsASimdjsonDocumentAsTheSameCodeReadsNlohmann) {
  JsonDocument document;
  for (const std::string& text : kDocuments) {
    const json reference = json::parse(text);
    ASSERT_TRUE(document.Parse(text)) << text;
    EXPECT_EQ(Describe(document.root()), Describe(JsonView(reference))) << text;
    EXPECT_EQ(document.root().ToNlohmann(), reference) << text;
  }
}

TEST(JsonViewTest, RepeatedKeysReadTheLastValueLikeNlohmann) {
  JsonDocument document;
  ASSERT_TRUE(document.Parse(R"({"KeyId":"first","EncryptionContext":{"a":"1","a":"2"},"KeyId":"last"})"));
  EXPECT_EQ(document.root().string_member("KeyId"), "last");
  EXPECT_EQ(document.root().find("EncryptionContext").string_member("a"), "2");
  EXPECT_EQ(document.root().find("EncryptionContext").size(), 1u);
  // Nested repeats are found too, below arrays.
  ASSERT_TRUE(document.Parse(R"({"L":[{"x":1},{"y":1,"y":2}]})"));
  EXPECT_EQ(document.root().ToNlohmann(), json::parse(R"({"L":[{"x":1},{"y":2}]})"));
}

TEST(JsonViewTest, RefusesWhatNlohmannRefuses) {
  JsonDocument document;
  for (const std::string text : {"", "{", R"({"a":})", R"({"a":1,})", "[1,]", "nul", R"({"a":"\x"})",
                                 "{\"a\":\"\xff\"}", "01", R"({'a':1})", "{} {}", "NaN"}) {
    const bool nlohmann_accepts = !json::parse(text, nullptr, false).is_discarded();
    EXPECT_EQ(document.Parse(text), nlohmann_accepts) << text;
  }
}

TEST(JsonViewTest, NestingBeyond1024LevelsIsRefused) {
  JsonDocument document;
  EXPECT_TRUE(document.Parse(std::string(1000, '[') + std::string(1000, ']')));
  EXPECT_FALSE(document.Parse(std::string(5000, '[') + std::string(5000, ']')));  // nlohmann accepts it
  EXPECT_FALSE(
      document.Parse(R"({"KeyId":"k","Extra":)" + std::string(2000, '[') + std::string(2000, ']') + "}"));
}

TEST(JsonViewTest, AParseReplacesThePreviousDocument) {
  JsonDocument document;
  EXPECT_TRUE(document.root().absent());
  ASSERT_TRUE(document.Parse(R"({"a":"one"})"));
  ASSERT_TRUE(document.Parse(R"({"b":"two"})"));
  EXPECT_TRUE(document.root().find("a").absent());
  EXPECT_EQ(document.root().string_member("b"), "two");
  // A larger text than the buffer so far.
  const std::string large = R"({"big":")" + std::string(100000, 'x') + R"("})";
  ASSERT_TRUE(document.Parse(large));
  EXPECT_EQ(document.root().string_member("big").size(), 100000u);
}

TEST(JsonViewTest, AbsentViewsAnswerAsAMissingMember) {
  const JsonView absent;
  EXPECT_TRUE(absent.absent());
  EXPECT_TRUE(absent.is_null());
  EXPECT_FALSE(absent.is_object());
  EXPECT_EQ(absent.str(), "");
  EXPECT_EQ(absent.size(), 0u);
  EXPECT_TRUE(absent.find("x").absent());
  EXPECT_EQ(absent.string_member("x", "fallback"), "fallback");
  EXPECT_EQ(absent.ToNlohmann(), json(nullptr));
  const json* none = nullptr;
  EXPECT_TRUE(JsonView(none).absent());
  const json number = 5;
  EXPECT_EQ(JsonView(number).string_member("x", "fb"), "fb");  // not an object
}

TEST(JsonViewTest, IterationStopsWhenTheVisitorSaysSo) {
  JsonDocument document;
  ASSERT_TRUE(document.Parse(R"({"a":1,"b":2,"c":3})"));
  std::string seen;
  document.root().ForEachMember([&seen](std::string_view key, JsonView) {
    seen += key;
    return key != "b";
  });
  EXPECT_EQ(seen, "ab");
}

TEST(JsonViewTest, JsonOutWritesAViewWithTheValuesWriteJsonWrites) {
  JsonDocument document;
  for (const std::string& text : kDocuments) {
    const json reference = json::parse(text);
    ASSERT_TRUE(document.Parse(text)) << text;
    std::string written;
    JsonOut(written).Value(document.root());
    // Member order is the document's (nlohmann's is sorted); values and
    // number spelling are the same.
    EXPECT_EQ(json::parse(written), reference) << text;
  }
}

TEST(JsonViewTest, JsonOutSpellsNumbersAsNlohmann) {
  // Keys in sorted order, so nlohmann's text and the document's order agree.
  const std::string text = R"({"a":1.5,"b":1e3,"c":-7,"d":18446744073709551615,"e":0.1,"f":[true,null,"s"]})";
  JsonDocument document;
  ASSERT_TRUE(document.Parse(text));
  std::string written;
  JsonOut(written).Value(document.root());
  EXPECT_EQ(written, WriteJson(json::parse(text)));
}

}  // namespace
}  // namespace coffer
