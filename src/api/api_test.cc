// The KMS service model as the server sees it, and the errors a request gets
// for each kind of bad input. Messages follow AWS's
// "N validation error(s) detected: Value ['v'] at 'path' failed to satisfy
// constraint: ..." shape.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "api/embedded_models.h"
#include "api/service_model.h"
#include "api/validator.h"
#include "common/encoding.h"

namespace coffer::api {
namespace {

using Json = nlohmann::json;

const ServiceModel& Kms() {
  static const ServiceModel* const model = [] {
    auto loaded = ServiceModel::Load(EmbeddedKmsModel());
    if (!loaded.ok()) {
      ADD_FAILURE() << loaded.status().ToString();
      std::abort();
    }
    return std::move(loaded).value().release();
  }();
  return *model;
}

Status Validate(std::string_view op_name, const Json& body) {
  const Operation* op = Kms().FindOperation(op_name);
  if (op == nullptr) return InternalError("test: no operation " + std::string(op_name));
  return ValidateInput(Kms(), *op, body);
}

Status ValidateText(std::string_view op_name, std::string_view body) {
  return Validate(op_name, Json::parse(body));
}

std::string B64(std::size_t len) { return Base64Encode(Bytes(len, 0x5a)); }

// ---------------------------------------------------------------------------
// The model.

TEST(ServiceModelTest, EmbeddedKmsModelLoads) {
  EXPECT_EQ(Kms().target_prefix(), "TrentService");
  EXPECT_EQ(Kms().api_version(), "2014-11-01");
  EXPECT_EQ(Kms().OperationNames().size(), 54u);
  EXPECT_TRUE(Kms().uncompiled_patterns().empty()) << Kms().uncompiled_patterns().front();
}

TEST(ServiceModelTest, OperationsCarryInputAndErrors) {
  const Operation* encrypt = Kms().FindOperation("Encrypt");
  ASSERT_NE(encrypt, nullptr);
  EXPECT_EQ(encrypt->name, "Encrypt");
  ASSERT_NE(encrypt->input, nullptr);
  EXPECT_EQ(encrypt->input->name, "EncryptRequest");
  ASSERT_EQ(encrypt->input->members.size(), 6u);
  EXPECT_EQ(encrypt->input->members[0].name, "KeyId");
  EXPECT_EQ(encrypt->input->members[0].path_name, "keyId");
  EXPECT_TRUE(encrypt->input->members[0].required);
  EXPECT_TRUE(encrypt->input->members[1].sensitive);  // Plaintext
  EXPECT_NE(std::find(encrypt->errors.begin(), encrypt->errors.end(), "NotFoundException"),
            encrypt->errors.end());
  EXPECT_EQ(Kms().FindOperation("Encrypt2"), nullptr);
  EXPECT_EQ(Kms().FindOperation("encrypt"), nullptr);
}

TEST(ServiceModelTest, ErrorHttpStatusComesFromSmithy) {
  EXPECT_EQ(Kms().ErrorHttpStatus("NotFoundException"), 404);
  EXPECT_EQ(Kms().ErrorHttpStatus("KMSInvalidStateException"), 409);
  EXPECT_EQ(Kms().ErrorHttpStatus("DisabledException"), 409);
  EXPECT_EQ(Kms().ErrorHttpStatus("DependencyTimeoutException"), 503);
  EXPECT_EQ(Kms().ErrorHttpStatus("KMSInternalException"), 500);
  EXPECT_EQ(Kms().ErrorHttpStatus("InvalidCiphertextException"), 400);
  EXPECT_EQ(Kms().ErrorHttpStatus("NoSuchException"), std::nullopt);
}

TEST(ServiceModelTest, EveryDeclaredErrorHasAStatus) {
  for (std::string_view name : Kms().OperationNames()) {
    for (const std::string& error : Kms().FindOperation(name)->errors) {
      EXPECT_TRUE(Kms().ErrorHttpStatus(error).has_value()) << name << ": " << error;
    }
  }
}

TEST(ServiceModelTest, RejectsTextThatIsNotAModel) {
  EXPECT_EQ(ServiceModel::Load("not json").status().code(), ErrorCode::kInternal);
  EXPECT_EQ(ServiceModel::Load("[]").status().code(), ErrorCode::kInternal);
  EXPECT_EQ(ServiceModel::Load("{}").status().code(), ErrorCode::kInternal);
  EXPECT_EQ(
      ServiceModel::Load(R"({"metadata":{},"operations":{},"shapes":{"S":{"type":1}}})").status().code(),
      ErrorCode::kInternal);
  EXPECT_EQ(
      ServiceModel::Load(R"({"metadata":{},"operations":{"Op":{"input":{"shape":"Nope"}}},"shapes":{}})")
          .status()
          .code(),
      ErrorCode::kInternal);
}

constexpr std::string_view kTinyModel = R"({
  "metadata": {"targetPrefix": "Tiny"},
  "operations": {"Op": {"input": {"shape": "In"}}},
  "shapes": {
    "In": {"type": "structure", "members": {"A": {"shape": "Bad"}, "Next": {"shape": "In"}}},
    "Bad": {"type": "string", "pattern": "[a-"}
  }
})";

TEST(ServiceModelTest, PatternThatDoesNotCompileIsRecordedAndSkipped) {
  auto model = ServiceModel::Load(kTinyModel);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  ASSERT_EQ((*model)->uncompiled_patterns(), std::vector<std::string>{"Bad: [a-"});
  const Operation& op = *(*model)->FindOperation("Op");
  EXPECT_TRUE(ValidateInput(**model, op, Json::parse(R"({"A":"!!!"})")).ok());
}

TEST(ServiceModelTest, RecursiveShapesHaveBoundedDepth) {
  auto model = ServiceModel::Load(kTinyModel);
  ASSERT_TRUE(model.ok());
  Json body = Json::object();
  for (int i = 0; i < 100; ++i) body = Json{{"Next", body}};
  const Status status = ValidateInput(**model, *(*model)->FindOperation("Op"), body);
  EXPECT_EQ(status.code(), ErrorCode::kSerialization);
}

// ---------------------------------------------------------------------------
// One bad input per check, with the exact error.

struct Case {
  std::string name;
  std::string op;
  std::string body;
  ErrorCode code;
  std::string message;
};

std::ostream& operator<<(std::ostream& os, const Case& c) { return os << c.name; }

constexpr const char* kOne = "1 validation error detected: ";

std::string One(std::string_view violation) { return kOne + std::string(violation); }

std::vector<Case> Cases() {
  const std::string a64(64, 'a');
  return {
      // Required members.
      {"MissingRequired", "Encrypt", R"({"KeyId":"k"})", ErrorCode::kValidation,
       One("Value null at 'plaintext' failed to satisfy constraint: Member must not be null")},
      {"NullCountsAsMissing", "Encrypt", R"({"KeyId":null,"Plaintext":"AAAA"})", ErrorCode::kValidation,
       One("Value null at 'keyId' failed to satisfy constraint: Member must not be null")},
      {"AllMissingCounted", "Encrypt", "{}", ErrorCode::kValidation,
       "2 validation errors detected: Value null at 'keyId' failed to satisfy constraint: Member must not be "
       "null; "
       "Value null at 'plaintext' failed to satisfy constraint: Member must not be null"},
      // String lengths, in UTF-16 units.
      {"StringTooShort", "Encrypt", R"({"KeyId":"","Plaintext":"AAAA"})", ErrorCode::kValidation,
       One("Value '' at 'keyId' failed to satisfy constraint: Member must have length greater than or equal "
           "to 1")},
      {"StringTooLongEchoesOnly64Chars", "Encrypt",
       R"({"Plaintext":"AAAA","KeyId":")" + std::string(2049, 'a') + "\"}", ErrorCode::kValidation,
       One("Value '" + a64 +
           "' at 'keyId' failed to satisfy constraint: Member must have length less than or equal to 2048")},
      {"AstralCharactersCountTwice", "Encrypt",
       R"({"Plaintext":"AAAA","KeyId":")" + std::string(2047, 'a') + "\xF0\x9F\x98\x80\"}",
       ErrorCode::kValidation,
       One("Value '" + a64 +
           "' at 'keyId' failed to satisfy constraint: Member must have length less than or equal to 2048")},
      // Blob lengths, in decoded bytes; never echoed.
      {"BlobTooShort", "Encrypt", R"({"KeyId":"k","Plaintext":""})", ErrorCode::kValidation,
       One("Value at 'plaintext' failed to satisfy constraint: Member must have length greater than or equal "
           "to 1")},
      {"BlobTooLong", "Encrypt", R"({"KeyId":"k","Plaintext":")" + B64(4097) + "\"}", ErrorCode::kValidation,
       One("Value at 'plaintext' failed to satisfy constraint: Member must have length less than or equal to "
           "4096")},
      {"CiphertextTooLong", "Decrypt", R"({"CiphertextBlob":")" + B64(6145) + "\"}", ErrorCode::kValidation,
       One("Value at 'ciphertextBlob' failed to satisfy constraint: "
           "Member must have length less than or equal to 6144")},
      // Number ranges.
      {"IntegerTooSmall", "GenerateDataKey", R"({"KeyId":"k","NumberOfBytes":0})", ErrorCode::kValidation,
       One("Value '0' at 'numberOfBytes' failed to satisfy constraint: "
           "Member must have value greater than or equal to 1")},
      {"IntegerTooLarge", "GenerateRandom", R"({"NumberOfBytes":1025})", ErrorCode::kValidation,
       One("Value '1025' at 'numberOfBytes' failed to satisfy constraint: "
           "Member must have value less than or equal to 1024")},
      {"FractionIsTruncated", "GenerateRandom", R"({"NumberOfBytes":0.9})", ErrorCode::kValidation,
       One("Value '0' at 'numberOfBytes' failed to satisfy constraint: "
           "Member must have value greater than or equal to 1")},
      {"NegativeLimit", "ListAliases", R"({"Limit":-5})", ErrorCode::kValidation,
       One("Value '-5' at 'limit' failed to satisfy constraint: Member must have value greater than or equal "
           "to 1")},
      // Enums.
      {"EnumValue", "Encrypt", R"({"KeyId":"k","Plaintext":"AAAA","EncryptionAlgorithm":"AES"})",
       ErrorCode::kValidation,
       One("Value 'AES' at 'encryptionAlgorithm' failed to satisfy constraint: Member must satisfy enum "
           "value set: "
           "[SYMMETRIC_DEFAULT, RSAES_OAEP_SHA_1, RSAES_OAEP_SHA_256, SM2PKE]")},
      {"EnumIsCaseSensitive", "GenerateDataKey", R"({"KeyId":"k","KeySpec":"aes_256"})",
       ErrorCode::kValidation,
       One("Value 'aes_256' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set: "
           "[AES_256, AES_128]")},
      // Patterns, which must match the whole value.
      {"Pattern", "CreateAlias", R"({"AliasName":"alias/my key","TargetKeyId":"k"})", ErrorCode::kValidation,
       One("Value 'alias/my key' at 'aliasName' failed to satisfy constraint: "
           "Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$")},
      {"UnanchoredPatternMatchesWholeValue", "GetKeyPolicy", R"({"KeyId":"k","PolicyName":"my policy"})",
       ErrorCode::kValidation,
       One("Value 'my policy' at 'policyName' failed to satisfy constraint: "
           "Member must satisfy regular expression pattern: [\\w]+")},
      {"PatternOverCodePoints", "ListKeys", "{\"Marker\":\"\xE2\x82\xAC\"}", ErrorCode::kValidation,
       One("Value '\xE2\x82\xAC' at 'marker' failed to satisfy constraint: "
           "Member must satisfy regular expression pattern: [\\u0020-\\u00FF]*")},
      {"DashInsideCharacterClass", "CreateKey", R"({"XksKeyId":"a;b"})", ErrorCode::kValidation,
       One("Value 'a;b' at 'xksKeyId' failed to satisfy constraint: "
           "Member must satisfy regular expression pattern: ^[a-zA-Z0-9-_.]+$")},
      {"LengthAndPatternBothReported", "CreateAlias", R"({"AliasName":""})", ErrorCode::kValidation,
       "3 validation errors detected: "
       "Value '' at 'aliasName' failed to satisfy constraint: Member must have length greater than or equal "
       "to 1; "
       "Value '' at 'aliasName' failed to satisfy constraint: "
       "Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$; "
       "Value null at 'targetKeyId' failed to satisfy constraint: Member must not be null"},
      // Sensitive members are never echoed.
      {"SensitiveString", "CreateCustomKeyStore", R"({"CustomKeyStoreName":"s","KeyStorePassword":"secret"})",
       ErrorCode::kValidation,
       One("Value at 'keyStorePassword' failed to satisfy constraint: "
           "Member must have length greater than or equal to 7")},
      {"NestedSensitiveStructure", "CreateCustomKeyStore",
       R"({"CustomKeyStoreName":"s","XksProxyAuthenticationCredential":{"AccessKeyId":"abc"}})",
       ErrorCode::kValidation,
       "3 validation errors detected: "
       "Value at 'xksProxyAuthenticationCredential.accessKeyId' failed to satisfy constraint: "
       "Member must have length greater than or equal to 20; "
       "Value at 'xksProxyAuthenticationCredential.accessKeyId' failed to satisfy constraint: "
       "Member must satisfy regular expression pattern: ^[A-Z2-7]+$; "
       "Value null at 'xksProxyAuthenticationCredential.rawSecretAccessKey' failed to satisfy constraint: "
       "Member must not be null"},
      // Lists: element paths are 'list.N.member', 1-based.
      {"NestedListMembers", "TagResource",
       R"({"KeyId":"k","Tags":[{"TagKey":"","TagValue":"v"},{"TagValue":"x"}]})", ErrorCode::kValidation,
       "2 validation errors detected: "
       "Value '' at 'tags.1.member.tagKey' failed to satisfy constraint: "
       "Member must have length greater than or equal to 1; "
       "Value null at 'tags.2.member.tagKey' failed to satisfy constraint: Member must not be null"},
      {"ListOfStringsMember", "Encrypt", R"({"KeyId":"k","Plaintext":"AAAA","GrantTokens":["t",""]})",
       ErrorCode::kValidation,
       One("Value '' at 'grantTokens.2.member' failed to satisfy constraint: "
           "Member must have length greater than or equal to 1")},
      {"ListTooLong", "Encrypt",
       R"({"KeyId":"k","Plaintext":"AAAA","GrantTokens":["1","2","3","4","5","6","7","8","9","10","11"]})",
       ErrorCode::kValidation,
       One("Value at 'grantTokens' failed to satisfy constraint: Member must have length less than or equal "
           "to 10")},
      {"ListEnumMember", "CreateGrant", R"({"KeyId":"k","Operations":["Decrypt","Fly"]})",
       ErrorCode::kValidation,
       One("Value 'Fly' at 'operations.2.member' failed to satisfy constraint: Member must satisfy enum "
           "value set: "
           "[Decrypt, Encrypt, GenerateDataKey, GenerateDataKeyWithoutPlaintext, ReEncryptFrom, ReEncryptTo, "
           "Sign, "
           "Verify, GetPublicKey, CreateGrant, RetireGrant, DescribeKey, GenerateDataKeyPair, "
           "GenerateDataKeyPairWithoutPlaintext, GenerateMac, VerifyMac, DeriveSharedSecret]")},
      // Several kinds at once, counted.
      {"MultipleErrorsCounted", "GenerateRandom", R"({"NumberOfBytes":0,"CustomKeyStoreId":""})",
       ErrorCode::kValidation,
       "2 validation errors detected: "
       "Value '0' at 'numberOfBytes' failed to satisfy constraint: Member must have value greater than or "
       "equal to 1; "
       "Value '' at 'customKeyStoreId' failed to satisfy constraint: "
       "Member must have length greater than or equal to 1"},
      // Wrong JSON types are SerializationException.
      {"BodyIsList", "Encrypt", "[]", ErrorCode::kSerialization, "Start of list found where not expected"},
      {"BodyIsString", "Encrypt", R"("x")", ErrorCode::kSerialization, "Expected null"},
      {"StringForInteger", "GenerateRandom", R"({"NumberOfBytes":"16"})", ErrorCode::kSerialization,
       "STRING_VALUE can not be converted to an Integer"},
      {"BooleanForInteger", "GenerateRandom", R"({"NumberOfBytes":true})", ErrorCode::kSerialization,
       "TRUE_VALUE can not be converted to an Integer"},
      {"IntegerOutOfRange", "GenerateRandom", R"({"NumberOfBytes":3000000000})", ErrorCode::kSerialization,
       "NUMBER_VALUE can not be converted to an Integer"},
      {"ObjectForInteger", "GenerateRandom", R"({"NumberOfBytes":{}})", ErrorCode::kSerialization,
       "Start of structure or map found where not expected."},
      {"NumberForString", "Encrypt", R"({"KeyId":12,"Plaintext":"AAAA"})", ErrorCode::kSerialization,
       "NUMBER_VALUE can not be converted to a String"},
      {"ListForString", "Encrypt", R"({"KeyId":["k"],"Plaintext":"AAAA"})", ErrorCode::kSerialization,
       "Start of list found where not expected"},
      {"StringForBoolean", "Encrypt", R"({"KeyId":"k","Plaintext":"AAAA","DryRun":"true"})",
       ErrorCode::kSerialization, "STRING_VALUE can not be converted to a Boolean"},
      {"StringForList", "TagResource", R"({"KeyId":"k","Tags":"x"})", ErrorCode::kSerialization,
       "Expected list or null"},
      {"ObjectForList", "TagResource", R"({"KeyId":"k","Tags":{}})", ErrorCode::kSerialization,
       "Start of structure or map found where not expected."},
      {"NumberForStructure", "TagResource", R"({"KeyId":"k","Tags":[1]})", ErrorCode::kSerialization,
       "Expected null"},
      {"StringForMap", "Encrypt", R"({"KeyId":"k","Plaintext":"AAAA","EncryptionContext":"x"})",
       ErrorCode::kSerialization, "Expected map or null"},
      {"NumberInMap", "Encrypt", R"({"KeyId":"k","Plaintext":"AAAA","EncryptionContext":{"a":1}})",
       ErrorCode::kSerialization, "NUMBER_VALUE can not be converted to a String"},
      {"NestedMapInStructure", "CreateGrant",
       R"({"KeyId":"k","Operations":["Decrypt"],"Constraints":{"EncryptionContextSubset":{"a":[]}}})",
       ErrorCode::kSerialization, "Start of list found where not expected"},
      {"StringForTimestamp", "ImportKeyMaterial",
       R"({"KeyId":"k","ImportToken":"AAAA","EncryptedKeyMaterial":"AAAA","ValidTo":"2030-01-01"})",
       ErrorCode::kSerialization, "STRING_VALUE can not be converted to a Timestamp"},
      {"NumberForBlob", "Encrypt", R"({"KeyId":"k","Plaintext":5})", ErrorCode::kSerialization,
       "NUMBER_VALUE can not be converted to a Blob"},
      {"Base64BadLength", "Encrypt", R"({"KeyId":"k","Plaintext":"abc"})", ErrorCode::kSerialization,
       "Value can not be converted to a Blob: Base64 encoded length is expected a multiple of 4 bytes but "
       "found: 3"},
      {"Base64BadCharacter", "Encrypt", R"({"KeyId":"k","Plaintext":"ab!="})", ErrorCode::kSerialization,
       "Value can not be converted to a Blob: Invalid Base64 character"},
      {"Base64PadInMiddle", "Encrypt", R"({"KeyId":"k","Plaintext":"A=AA"})", ErrorCode::kSerialization,
       "Value can not be converted to a Blob: Invalid Base64 character"},
      {"Base64NonZeroTrailingBits", "Encrypt", R"({"KeyId":"k","Plaintext":"+/+="})",
       ErrorCode::kSerialization,
       "Value can not be converted to a Blob: Invalid last non-pad Base64 character dectected"},
      {"SerializationWinsOverValidation", "GenerateDataKey", R"({"KeyId":"","NumberOfBytes":"x"})",
       ErrorCode::kSerialization, "STRING_VALUE can not be converted to an Integer"},
  };
}

class ValidationCaseTest : public testing::TestWithParam<Case> {};

TEST_P(ValidationCaseTest, GivesTheAwsError) {
  const Case& c = GetParam();
  const Status status = ValidateText(c.op, c.body);
  EXPECT_EQ(status.code(), c.code) << status.ToString();
  EXPECT_EQ(status.message(), c.message);
}

INSTANTIATE_TEST_SUITE_P(Kms, ValidationCaseTest, testing::ValuesIn(Cases()),
                         [](const testing::TestParamInfo<Case>& info) { return info.param.name; });

// ---------------------------------------------------------------------------
// Bodies that pass.

TEST(ValidateInputTest, ValidBodiesPass) {
  const std::vector<std::pair<std::string, std::string>> bodies = {
      {"CreateKey", "{}"},
      {"CreateKey",
       R"({"Description":"d","KeyUsage":"ENCRYPT_DECRYPT","KeySpec":"SYMMETRIC_DEFAULT","Origin":"AWS_KMS",
           "Policy":"{\"Version\":\"2012-10-17\",\"Statement\":[]}\n","MultiRegion":false,
           "BypassPolicyLockoutSafetyCheck":false,"Tags":[{"TagKey":"team","TagValue":""}],"XksKeyId":"a-b_c.d"})"},
      {"Encrypt",
       R"({"KeyId":"alias/my-key","Plaintext":"aGVsbG8=","EncryptionContext":{"purpose":"test","":""},
                      "GrantTokens":[],"EncryptionAlgorithm":"SYMMETRIC_DEFAULT","DryRun":false})"},
      {"Encrypt", R"({"KeyId":"k","Plaintext":")" + B64(4096) + "\"}"},
      {"Decrypt", "{}"},
      {"Decrypt", R"({"CiphertextBlob":")" + B64(6144) + R"(","EncryptionContext":{"a":"b"},"KeyId":"k"})"},
      {"GenerateDataKey", R"({"KeyId":"k","KeySpec":"AES_256"})"},
      {"GenerateDataKey", R"({"KeyId":"k","NumberOfBytes":1024})"},
      {"GenerateDataKey", R"({"KeyId":"k","NumberOfBytes":1.5})"},
      {"ListAliases", "{}"},
      {"ListAliases", R"({"KeyId":"k","Limit":1000,"Marker":"caf\u00e9 ~"})"},
      {"TagResource", R"({"KeyId":"k","Tags":[{"TagKey":"a","TagValue":"b"},{"TagKey":"c","TagValue":""}]})"},
      {"CreateAlias", R"({"AliasName":"alias/Prod_key-1:x","TargetKeyId":"k"})"},
      {"ImportKeyMaterial",
       R"({"KeyId":"k","ImportToken":"AAAA","EncryptedKeyMaterial":"AAAA","ValidTo":1700000000.5})"},
  };
  for (const auto& [op, body] : bodies) {
    const Status status = ValidateText(op, body);
    EXPECT_TRUE(status.ok()) << op << " " << body << ": " << status.ToString();
  }
}

TEST(ValidateInputTest, UnknownMembersAndNullsAreIgnored) {
  EXPECT_TRUE(
      ValidateText("Encrypt", R"({"KeyId":"k","Plaintext":"AAAA","Foo":{"x":[1]},"EncryptionContext":null,
                                      "GrantTokens":[null,"t"]})")
          .ok());
}

TEST(ValidateInputTest, StringLengthCountsUtf16Units) {
  // 1024 astral characters are 2048 UTF-16 units: the maximum.
  std::string key;
  for (int i = 0; i < 1024; ++i) key += "\xF0\x9F\x98\x80";
  EXPECT_TRUE(Validate("Encrypt", Json{{"KeyId", key}, {"Plaintext", "AAAA"}}).ok());
  // 2048 two-byte characters are 2048 units, not 4096 bytes.
  std::string accented;
  for (int i = 0; i < 2048; ++i) accented += "\xC3\xA9";
  EXPECT_TRUE(Validate("Encrypt", Json{{"KeyId", accented}, {"Plaintext", "AAAA"}}).ok());
}

TEST(ValidateInputTest, LongestPolicyMatchesItsPatternWithoutExhaustingTheStack) {
  EXPECT_TRUE(Validate("PutKeyPolicy", Json{{"KeyId", "k"}, {"Policy", std::string(131072, 'p')}}).ok());
  const Status status = Validate("PutKeyPolicy", Json{{"KeyId", "k"}, {"Policy", std::string(131073, 'p')}});
  EXPECT_EQ(status.message(), One("Value '" + std::string(64, 'p') +
                                  "' at 'policy' failed to satisfy constraint: "
                                  "Member must have length less than or equal to 131072"));
}

// ---------------------------------------------------------------------------
// Every operation, every required member, straight from the model.

// A value of the member's shape that satisfies its constraints.
Json SampleValue(const Shape& shape);

Json SampleStructure(const Shape& shape) {
  Json body = Json::object();
  for (const Member& m : shape.members) {
    if (m.required) body[m.name] = SampleValue(*m.shape);
  }
  return body;
}

Json SampleValue(const Shape& shape) {
  const auto min_len = static_cast<std::size_t>(std::max<std::int64_t>(shape.min.value_or(1), 1));
  switch (shape.type) {
    case ShapeType::kStructure:
      return SampleStructure(shape);
    case ShapeType::kList:
      return shape.min.value_or(0) > 0 ? Json::array({SampleValue(*shape.list_member.shape)}) : Json::array();
    case ShapeType::kMap:
      return Json::object();
    case ShapeType::kString: {
      if (!shape.enum_values.empty()) return shape.enum_values.front();
      if (shape.name == "AliasNameType") return "alias/sample";
      if (shape.name == "RegionType") return "us-east-1";
      if (shape.name == "PolicyType") return "{}";
      EXPECT_FALSE(shape.regex.has_value()) << "no sample value for " << shape.name << " " << shape.pattern;
      return std::string(min_len, 'a');
    }
    case ShapeType::kInteger:
    case ShapeType::kLong:
    case ShapeType::kFloat:
      return shape.min.value_or(1);
    case ShapeType::kBoolean:
      return false;
    case ShapeType::kBlob:
      return B64(min_len);
    case ShapeType::kTimestamp:
      return 0;
    case ShapeType::kOther:
      break;
  }
  return nullptr;
}

TEST(EveryOperationTest, MissingRequiredMemberIsNamed) {
  int operations = 0;
  int checked = 0;
  for (std::string_view name : Kms().OperationNames()) {
    SCOPED_TRACE(std::string(name));
    const Operation& op = *Kms().FindOperation(name);
    const Json complete = SampleStructure(*op.input);
    const Status ok = ValidateInput(Kms(), op, complete);
    EXPECT_TRUE(ok.ok()) << complete.dump() << ": " << ok.ToString();
    ++operations;
    for (const Member& member : op.input->members) {
      if (!member.required) continue;
      const std::string expected = One("Value null at '" + member.path_name +
                                       "' failed to satisfy constraint: Member must not be null");
      Json missing = complete;
      missing.erase(member.name);
      Status status = ValidateInput(Kms(), op, missing);
      EXPECT_EQ(status.code(), ErrorCode::kValidation) << member.name;
      EXPECT_EQ(status.message(), expected);
      Json null_member = complete;
      null_member[member.name] = nullptr;
      status = ValidateInput(Kms(), op, null_member);
      EXPECT_EQ(status.message(), expected);
      ++checked;
    }
  }
  EXPECT_EQ(operations, 54);
  EXPECT_EQ(checked, 75);  // required members across all KMS inputs
}

// ---------------------------------------------------------------------------
// Blob decoding for handlers.

TEST(DecodeBlobTest, DecodesCanonicalBase64) {
  EXPECT_EQ(DecodeBlob(Json("AQID")).value(), (Bytes{1, 2, 3}));
  EXPECT_EQ(DecodeBlob(Json("AQI=")).value(), (Bytes{1, 2}));
  EXPECT_EQ(DecodeBlob(Json("AQ==")).value(), (Bytes{1}));
  EXPECT_EQ(DecodeBlob(Json("")).value(), Bytes{});
  const auto secret = DecodeSecretBlob(Json("aGk="));
  ASSERT_TRUE(secret.ok());
  EXPECT_EQ(AsChars(secret->view()), "hi");
}

TEST(DecodeBlobTest, RejectsWhatIsNotBase64) {
  for (const Json& bad : {Json(1), Json::array(), Json(nullptr), Json("AQ"), Json("AQJ="), Json("AR=="),
                          Json("AQ=="
                               "AQ=="),
                          Json("AQ\nI"), Json("A==="), Json("====")}) {
    EXPECT_EQ(DecodeBlob(bad).status().code(), ErrorCode::kSerialization) << bad.dump();
    EXPECT_EQ(DecodeSecretBlob(bad).status().code(), ErrorCode::kSerialization) << bad.dump();
  }
}

}  // namespace
}  // namespace coffer::api
