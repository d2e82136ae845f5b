// An AWS JSON-protocol service model (botocore format) loaded once at start-up
// and queried on every request: which operations exist, what their input
// shapes require, and which HTTP status each error shape carries.
//
// Everything request validation needs is precomputed at Load: lowerCamel
// member names for error paths, enum lists rendered for messages, and every
// pattern compiled once. A loaded model is immutable and safe to share between
// threads.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "common/status_or.h"

namespace coffer::api {

enum class ShapeType : std::uint8_t {
  kStructure,
  kList,
  kMap,
  kString,
  kInteger,
  kLong,
  kFloat,  // float and double: any JSON number
  kBoolean,
  kBlob,
  kTimestamp,
  kOther,  // a type this validator does not know: accepted unchecked
};

struct Shape;

struct Member {
  std::string name;       // as on the wire: "KeyId"
  std::string path_name;  // as in validation messages: "keyId"
  const Shape* shape = nullptr;
  bool required = false;
  bool sensitive = false;  // the member or its shape is sensitive: never echo its value
};

struct Shape {
  std::string name;
  ShapeType type = ShapeType::kOther;
  // Length (string in UTF-16 units, blob in decoded bytes, list/map in
  // entries) or value (numbers) bounds.
  std::optional<std::int64_t> min;
  std::optional<std::int64_t> max;
  std::vector<std::string> enum_values;
  std::string enum_text;  // "[A, B, C]", as the enum message prints it
  std::string pattern;    // as in the model; empty when none
  // Compiled pattern; empty when there is none or it did not compile (then
  // the pattern is not checked; ServiceModel::uncompiled_patterns lists it).
  std::optional<std::wregex> regex;
  bool sensitive = false;
  std::vector<Member> members;  // structure, in model order
  Member list_member;           // list element
  Member map_key;
  Member map_value;
};

struct Operation {
  std::string name;
  const Shape* input = nullptr;     // never null for a loaded model
  const Shape* output = nullptr;    // null when the operation returns nothing
  std::vector<std::string> errors;  // declared error shape names
};

class ServiceModel {
 public:
  // Parses a botocore service-2.json (optionally with a top-level
  // "errorHttpStatus" object). Fails with kInternal when the text is not a
  // usable model; never throws.
  static StatusOr<std::unique_ptr<ServiceModel>> Load(std::string_view json);

  ServiceModel(const ServiceModel&) = delete;
  ServiceModel& operator=(const ServiceModel&) = delete;

  const std::string& target_prefix() const { return target_prefix_; }  // "TrentService"
  const std::string& api_version() const { return api_version_; }      // "2014-11-01"

  // All operation names, sorted.
  std::vector<std::string_view> OperationNames() const;
  // nullptr when the model has no such operation.
  const Operation* FindOperation(std::string_view name) const;
  const Shape* FindShape(std::string_view name) const;
  // The HTTP status AWS sends with this error shape, if the model says.
  std::optional<int> ErrorHttpStatus(std::string_view error_name) const;
  // "Shape: pattern" for every pattern std::regex could not compile.
  const std::vector<std::string>& uncompiled_patterns() const { return uncompiled_patterns_; }

 private:
  ServiceModel() = default;
  friend class ModelLoader;

  std::string target_prefix_;
  std::string api_version_;
  std::map<std::string, std::unique_ptr<Shape>, std::less<>> shapes_;
  std::map<std::string, Operation, std::less<>> operations_;
  std::map<std::string, int, std::less<>> error_http_status_;
  std::vector<std::string> uncompiled_patterns_;
};

}  // namespace coffer::api
