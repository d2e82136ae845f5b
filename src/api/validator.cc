#include "api/validator.h"

#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "api/blob.h"
#include "api/utf8.h"

namespace coffer::api {
namespace {

using Json = JsonView;

constexpr std::size_t kMaxEcho = 64;   // characters of a value quoted back
constexpr std::size_t kMaxDepth = 32;  // path segments; KMS needs fewer than 8

constexpr std::string_view kListNotExpected = "Start of list found where not expected";
constexpr std::string_view kMapNotExpected = "Start of structure or map found where not expected.";

std::string_view ValueKind(Json v) {
  if (v.is_string()) return "STRING_VALUE";
  if (v.is_boolean()) return v.boolean() ? "TRUE_VALUE" : "FALSE_VALUE";
  return "NUMBER_VALUE";
}

// AWS's message for a scalar JSON value where `target` ("an Integer") is expected.
std::string ScalarMismatch(Json v, std::string_view target) {
  if (v.is_array()) return std::string(kListNotExpected);
  if (v.is_object()) return std::string(kMapNotExpected);
  std::string message(ValueKind(v));
  message += " can not be converted to ";
  message += target;
  return message;
}

std::string LengthConstraint(std::string_view relation, std::int64_t bound) {
  return "Member must have length " + std::string(relation) + " " + std::to_string(bound);
}

std::string ValueConstraint(std::string_view relation, std::int64_t bound) {
  return "Member must have value " + std::string(relation) + " " + std::to_string(bound);
}

constexpr std::string_view kAtLeast = "greater than or equal to";
constexpr std::string_view kAtMost = "less than or equal to";

// Calls report(constraint) for each constraint of a string shape that text
// breaks: length, then pattern, then enum.
template <typename Report>
void CheckString(const Shape& shape, std::string_view text, Report&& report) {
  if (shape.min || shape.max) {
    const auto len = static_cast<std::int64_t>(Utf16Length(text));
    if (shape.min && len < *shape.min) report(LengthConstraint(kAtLeast, *shape.min));
    if (shape.max && len > *shape.max) report(LengthConstraint(kAtMost, *shape.max));
  }
  if (shape.regex) {
    bool matched = true;
    try {
      matched = std::regex_match(Utf8ToWide(text), *shape.regex);
    } catch (const std::regex_error&) {
      // Too complex to decide: let the value through rather than fail the request.
    }
    if (!matched) report("Member must satisfy regular expression pattern: " + shape.pattern);
  }
  if (!shape.enum_values.empty()) {
    bool found = false;
    for (const auto& value : shape.enum_values) found = found || value == text;
    if (!found) report("Member must satisfy enum value set: " + shape.enum_text);
  }
}

// Walks one request body along its input shape.
class Walker {
 public:
  Status Run(const Shape& input, Json body) {
    if (!body.is_object()) return Serialization(body.is_array() ? kListNotExpected : "Expected null");
    if (!Structure(input, body)) return Status(ErrorCode::kSerialization, std::move(serialization_));
    if (violations_.empty()) return Status::Ok();
    std::string message = std::to_string(violations_.size());
    message += violations_.size() == 1 ? " validation error detected: " : " validation errors detected: ";
    for (std::size_t i = 0; i < violations_.size(); ++i) {
      if (i > 0) message += "; ";
      message += violations_[i];
    }
    return ValidationError(std::move(message));
  }

 private:
  // A path segment: a member name, or (name empty) list element `index`.
  struct Segment {
    std::string_view name;
    std::size_t index = 0;
  };

  static Status Serialization(std::string_view message) {
    return {ErrorCode::kSerialization, std::string(message)};
  }

  // Each Check returns false after recording a serialization error, which
  // ends the walk: AWS deserializes fully before it validates.
  bool Fail(std::string message) {
    serialization_ = std::move(message);
    return false;
  }

  bool Push(Segment segment) {
    if (depth_ == kMaxDepth) return Fail("Request nesting too deep");
    path_[depth_++] = segment;
    return true;
  }
  void Pop() { --depth_; }

  std::string Path() const {
    std::string out;
    for (std::size_t i = 0; i < depth_; ++i) {
      if (i > 0) out += '.';
      if (path_[i].name.empty()) {
        out += std::to_string(path_[i].index);
        out += ".member";
      } else {
        out += path_[i].name;
      }
    }
    return out;
  }

  // "Value ['<echo>' ]at '<path>' failed to satisfy constraint: <constraint>"
  void Violation(const std::string_view* echo, std::string_view constraint) {
    std::string text = "Value ";
    if (echo != nullptr) {
      text += '\'';
      text += TruncateUtf8(*echo, kMaxEcho);
      text += "' ";
    }
    text += "at '";
    text += Path();
    text += "' failed to satisfy constraint: ";
    text += constraint;
    violations_.push_back(std::move(text));
  }

  void Missing() {
    violations_.push_back("Value null at '" + Path() +
                          "' failed to satisfy constraint: Member must not be null");
  }

  bool Structure(const Shape& shape, Json body) {
    for (const Member& member : shape.members) {
      const Json value = body.find(member.name);
      const bool absent = value.is_null();
      if (absent && !member.required) continue;
      if (!Push({member.path_name})) return false;
      const bool ok = absent ? (Missing(), true) : Value(member, value);
      Pop();
      if (!ok) return false;
    }
    return true;
  }

  bool Value(const Member& member, Json v) {
    const Shape& shape = *member.shape;
    switch (shape.type) {
      case ShapeType::kStructure:
        if (v.is_object()) return Structure(shape, v);
        return Fail(v.is_array() ? std::string(kListNotExpected) : "Expected null");
      case ShapeType::kList:
        return List(shape, v);
      case ShapeType::kMap:
        return Map(shape, v);
      case ShapeType::kString:
        return String(member, v);
      case ShapeType::kInteger:
      case ShapeType::kLong:
        return Integer(member, v);
      case ShapeType::kFloat:
        return Float(member, v);
      case ShapeType::kBoolean:
        return v.is_boolean() || Fail(ScalarMismatch(v, "a Boolean"));
      case ShapeType::kTimestamp:
        return v.is_number() || Fail(ScalarMismatch(v, "a Timestamp"));
      case ShapeType::kBlob:
        return Blob(shape, v);
      case ShapeType::kOther:
        return true;
    }
    return true;
  }

  bool String(const Member& member, Json v) {
    if (!v.is_string()) return Fail(ScalarMismatch(v, "a String"));
    const std::string_view text = v.str();
    const std::string_view* echo = member.sensitive ? nullptr : &text;
    CheckString(*member.shape, text, [&](const std::string& constraint) { Violation(echo, constraint); });
    return true;
  }

  bool Integer(const Member& member, Json v) {
    const bool is_int = member.shape->type == ShapeType::kInteger;
    const std::string_view target = is_int ? "an Integer" : "a Long";
    if (!v.is_number()) return Fail(ScalarMismatch(v, target));
    std::int64_t n = 0;
    if (!ToInteger(v, is_int, &n)) return Fail(ScalarMismatch(v, target));
    // Render the echo only when a bound is broken: this runs on every request.
    if (!InBounds(*member.shape, static_cast<double>(n)))
      Bounds(member, static_cast<double>(n), std::to_string(n));
    return true;
  }

  // AWS truncates a fractional number; a value outside the type's range
  // cannot be converted.
  static bool ToInteger(Json v, bool is_int, std::int64_t* out_n) {
    const std::int64_t lo =
        is_int ? std::numeric_limits<std::int32_t>::min() : std::numeric_limits<std::int64_t>::min();
    const std::int64_t hi =
        is_int ? std::numeric_limits<std::int32_t>::max() : std::numeric_limits<std::int64_t>::max();
    if (v.is_number_float()) {
      const double d = std::trunc(v.number());
      // double(lo) is exact; hi + 1 is the exclusive bound (2^31, or 2^63 after rounding).
      if (!(d >= static_cast<double>(lo) && d < static_cast<double>(hi) + 1.0)) return false;
      *out_n = static_cast<std::int64_t>(d);
      return true;
    }
    if (v.is_number_unsigned()) {
      const auto u = v.uint64();
      if (u > static_cast<std::uint64_t>(hi)) return false;
      *out_n = static_cast<std::int64_t>(u);
      return true;
    }
    const auto s = v.int64();
    if (s < lo || s > hi) return false;
    *out_n = s;
    return true;
  }

  bool Float(const Member& member, Json v) {
    if (!v.is_number()) return Fail(ScalarMismatch(v, "a Double"));
    const double d = v.number();
    if (!InBounds(*member.shape, d)) Bounds(member, d, v.Dump());
    return true;
  }

  static bool InBounds(const Shape& shape, double n) {
    return !(shape.min && n < static_cast<double>(*shape.min)) &&
           !(shape.max && n > static_cast<double>(*shape.max));
  }

  // Value bounds of a number; `text` is what the message may echo.
  void Bounds(const Member& member, double n, const std::string& text) {
    const Shape& shape = *member.shape;
    const std::string_view echo_text = text;
    const std::string_view* echo = member.sensitive ? nullptr : &echo_text;
    if (shape.min && n < static_cast<double>(*shape.min))
      Violation(echo, ValueConstraint(kAtLeast, *shape.min));
    if (shape.max && n > static_cast<double>(*shape.max))
      Violation(echo, ValueConstraint(kAtMost, *shape.max));
  }

  bool Blob(const Shape& shape, Json v) {
    if (!v.is_string()) return Fail(ScalarMismatch(v, "a Blob"));
    std::size_t len = 0;
    if (auto error = Base64Error(v.str(), &len)) {
      return Fail(BlobSerializationMessage(*error));
    }
    CountBounds(shape, len);
    return true;
  }

  // Length bounds of a blob, list or map; never echoes the value.
  void CountBounds(const Shape& shape, std::size_t count) {
    const auto n = static_cast<std::int64_t>(count);
    if (shape.min && n < *shape.min) Violation(nullptr, LengthConstraint(kAtLeast, *shape.min));
    if (shape.max && n > *shape.max) Violation(nullptr, LengthConstraint(kAtMost, *shape.max));
  }

  bool List(const Shape& shape, Json v) {
    if (!v.is_array()) return Fail(v.is_object() ? std::string(kMapNotExpected) : "Expected list or null");
    CountBounds(shape, v.size());
    std::size_t index = 0;
    bool ok = true;
    v.ForEachElement([&](Json element) {
      ++index;
      if (element.is_null()) return true;  // AWS drops null list elements
      if (!Push({{}, index})) return ok = false;
      ok = Value(shape.list_member, element);
      Pop();
      return ok;
    });
    return ok;
  }

  bool Map(const Shape& shape, Json v) {
    if (!v.is_object()) return Fail(v.is_array() ? std::string(kListNotExpected) : "Expected map or null");
    CountBounds(shape, v.size());
    std::vector<std::string> key_constraints;
    std::vector<std::string> value_constraints;
    const auto collect = [](std::vector<std::string>* out) {
      return [out](const std::string& c) {
        for (const auto& seen : *out) {
          if (seen == c) return;
        }
        out->push_back(c);
      };
    };
    const Shape& key_shape = *shape.map_key.shape;
    const Shape& value_shape = *shape.map_value.shape;
    bool ok = true;
    v.ForEachMember([&](std::string_view key, Json value) {
      CheckString(key_shape, key, collect(&key_constraints));
      if (value.is_null()) return true;
      if (value_shape.type == ShapeType::kString) {
        if (!value.is_string()) return ok = Fail(ScalarMismatch(value, "a String"));
        CheckString(value_shape, value.str(), collect(&value_constraints));
        return true;
      }
      if (!Push({key})) return ok = false;
      ok = Value(shape.map_value, value);
      Pop();
      return ok;
    });
    if (!ok) return false;
    MapViolation("Map keys must satisfy constraint: ", key_constraints);
    MapViolation("Map value must satisfy constraint: ", value_constraints);
    return true;
  }

  void MapViolation(std::string_view prefix, const std::vector<std::string>& constraints) {
    if (constraints.empty()) return;
    std::string text(prefix);
    text += '[';
    for (std::size_t i = 0; i < constraints.size(); ++i) {
      if (i > 0) text += ", ";
      text += constraints[i];
    }
    text += ']';
    Violation(nullptr, text);
  }

  std::array<Segment, kMaxDepth> path_{};
  std::size_t depth_ = 0;
  std::vector<std::string> violations_;
  std::string serialization_;
};

}  // namespace

Status ValidateInput(const ServiceModel& model, const Operation& op, JsonView body) {
  (void)model;  // the operation's shapes live in the model; kept for future cross-shape checks
  if (op.input == nullptr) return InternalError("operation has no input shape");
  try {
    return Walker().Run(*op.input, body);
  } catch (const nlohmann::json::exception&) {
    // Unreachable by construction (types are checked before every access);
    // kept so no input can throw out of the module.
    return {ErrorCode::kSerialization, "Malformed request body"};
  } catch (const std::bad_alloc&) {
    return InternalError("out of memory validating request");
  }
}

}  // namespace coffer::api
