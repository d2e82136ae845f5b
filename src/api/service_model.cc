#include "api/service_model.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <utility>

#include "api/utf8.h"

namespace coffer::api {
namespace {

// ordered_json keeps members in model order, which is the order in which
// validation reports them.
using Json = nlohmann::ordered_json;

ShapeType ParseType(std::string_view type) {
  static constexpr std::pair<std::string_view, ShapeType> kTypes[] = {
      {"structure", ShapeType::kStructure},
      {"list", ShapeType::kList},
      {"map", ShapeType::kMap},
      {"string", ShapeType::kString},
      {"integer", ShapeType::kInteger},
      {"long", ShapeType::kLong},
      {"float", ShapeType::kFloat},
      {"double", ShapeType::kFloat},
      {"boolean", ShapeType::kBoolean},
      {"blob", ShapeType::kBlob},
      {"timestamp", ShapeType::kTimestamp},
  };
  for (const auto& [name, value] : kTypes) {
    if (name == type) return value;
  }
  return ShapeType::kOther;
}

std::string LowerCamel(std::string_view name) {
  std::string out(name);
  if (!out.empty() && out[0] >= 'A' && out[0] <= 'Z') out[0] = static_cast<char>(out[0] - 'A' + 'a');
  return out;
}

std::optional<std::int64_t> OptionalInt(const Json& shape, const char* key) {
  const auto it = shape.find(key);
  if (it == shape.end() || !it->is_number()) return std::nullopt;
  return it->is_number_float() ? static_cast<std::int64_t>(it->get<double>()) : it->get<std::int64_t>();
}

// std::regex has no Unicode property classes; the SSM model uses \p{L},
// \p{Z}, \p{N}, \p{P} and \p{M} inside bracket expressions. Each becomes
// the ranges of its general category (BMP, approximated by blocks).
std::wstring ExpandPropertyClasses(std::wstring pattern) {
  static const std::pair<std::wstring_view, std::wstring_view> kClasses[] = {
      {L"\\p{L}",
       L"a-zA-Z\u00AA\u00B5\u00BA\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u02FF\u0370-\u03FF"
       L"\u0400-\u052F\u0531-\u058F\u05D0-\u05EA\u0620-\u064A\u0900-\u0DFF\u0E01-\u0E30"
       L"\u1000-\u1FFF\u2C00-\u2DFF\u3040-\u30FF\u3400-\u9FFF\uAC00-\uD7A3\uF900-\uFAFF"},
      {L"\\p{Z}", L" \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000"},
      {L"\\p{N}",
       L"0-9\u00B2\u00B3\u00B9\u00BC-\u00BE\u0660-\u0669\u06F0-\u06F9\u0966-\u096F"
       L"\u2150-\u2189\uFF10-\uFF19"},
      {L"\\p{P}",
       L"!-#%-*,-/:;?@\\[-\\]_{}\u00A1\u00A7\u00AB\u00B6\u00B7\u00BB\u00BF\u2010-\u2027"
       L"\u2030-\u205E\u3001-\u3003\u3008-\u3011"},
      {L"\\p{M}",
       L"\u0300-\u036F\u0483-\u0489\u0591-\u05BD\u064B-\u065F\u0900-\u0903\u093A-\u094F"
       L"\u1AB0-\u1AFF\u1DC0-\u1DFF\u20D0-\u20FF\uFE20-\uFE2F"},
  };
  for (const auto& [name, ranges] : kClasses) {
    for (std::size_t at = pattern.find(name); at != std::wstring::npos; at = pattern.find(name, at)) {
      pattern.replace(at, name.size(), ranges);
      at += ranges.size();
    }
  }
  return pattern;
}

std::optional<std::wregex> CompilePattern(const std::string& pattern) {
  auto flags = std::regex_constants::ECMAScript;
#ifdef __GLIBCXX__
  // libstdc++'s default backtracking matcher recurses once per input
  // character and overflows the stack on a 100 KB key policy; the
  // breadth-first matcher runs in bounded stack.
  flags |= std::regex_constants::__polynomial;
#endif
  try {
    return std::wregex(ExpandPropertyClasses(Utf8ToWide(pattern)), flags);
  } catch (const std::regex_error&) {
    return std::nullopt;
  }
}

}  // namespace

// Builds a ServiceModel from its JSON; nlohmann exceptions stay inside.
class ModelLoader {
 public:
  explicit ModelLoader(ServiceModel* model) : model_(model) {}

  Status Load(const Json& root) {
    const Json& metadata = root.at("metadata");
    model_->target_prefix_ = metadata.value("targetPrefix", "");
    model_->api_version_ = metadata.value("apiVersion", "");
    const Json& shapes = root.at("shapes");
    for (const auto& [name, shape] : shapes.items()) CreateShape(name, shape);
    for (const auto& [name, shape] : shapes.items()) RETURN_IF_ERROR(LinkShape(name, shape));
    for (const auto& [name, op] : root.at("operations").items()) RETURN_IF_ERROR(AddOperation(name, op));
    if (const auto it = root.find("errorHttpStatus"); it != root.end()) {
      for (const auto& [name, status] : it->items()) model_->error_http_status_[name] = status.get<int>();
    }
    return Status::Ok();
  }

 private:
  void CreateShape(const std::string& name, const Json& json) {
    auto shape = std::make_unique<Shape>();
    shape->name = name;
    shape->type = ParseType(json.at("type").get<std::string>());
    shape->min = OptionalInt(json, "min");
    shape->max = OptionalInt(json, "max");
    shape->sensitive = json.value("sensitive", false);
    if (const auto it = json.find("enum"); it != json.end()) {
      shape->enum_values = it->get<std::vector<std::string>>();
      shape->enum_text = "[";
      for (std::size_t i = 0; i < shape->enum_values.size(); ++i) {
        if (i > 0) shape->enum_text += ", ";
        shape->enum_text += shape->enum_values[i];
      }
      shape->enum_text += "]";
    }
    if (const auto it = json.find("pattern"); it != json.end()) {
      shape->pattern = it->get<std::string>();
      shape->regex = CompilePattern(shape->pattern);
      if (!shape->regex) model_->uncompiled_patterns_.push_back(name + ": " + shape->pattern);
    }
    model_->shapes_[name] = std::move(shape);
  }

  Status LinkMember(const std::string& name, const Json& json, Member* out) {
    const std::string target = json.at("shape").get<std::string>();
    const auto it = model_->shapes_.find(target);
    if (it == model_->shapes_.end()) return InternalError("service model: unknown shape " + target);
    out->name = name;
    out->path_name = LowerCamel(name);
    out->shape = it->second.get();
    out->sensitive = it->second->sensitive || json.value("sensitive", false);
    return Status::Ok();
  }

  Status LinkShape(const std::string& name, const Json& json) {
    Shape& shape = *model_->shapes_.at(name);
    if (const auto it = json.find("members"); it != json.end()) {
      for (const auto& [member_name, member] : it->items()) {
        RETURN_IF_ERROR(LinkMember(member_name, member, &shape.members.emplace_back()));
      }
    }
    if (const auto it = json.find("required"); it != json.end()) {
      for (const auto& required : *it) {
        const auto member = std::find_if(shape.members.begin(), shape.members.end(), [&](const Member& m) {
          return m.name == required.get<std::string>();
        });
        if (member == shape.members.end()) return InternalError("service model: bad required in " + name);
        member->required = true;
      }
    }
    if (shape.type == ShapeType::kList)
      RETURN_IF_ERROR(LinkMember("member", json.at("member"), &shape.list_member));
    if (shape.type == ShapeType::kMap) {
      RETURN_IF_ERROR(LinkMember("key", json.at("key"), &shape.map_key));
      RETURN_IF_ERROR(LinkMember("value", json.at("value"), &shape.map_value));
    }
    return Status::Ok();
  }

  Status AddOperation(const std::string& name, const Json& json) {
    Operation op;
    op.name = name;
    const auto input = json.find("input");
    if (input == json.end()) return InternalError("service model: operation without input: " + name);
    op.input = model_->FindShape(input->at("shape").get<std::string>());
    if (const auto it = json.find("output"); it != json.end()) {
      op.output = model_->FindShape(it->at("shape").get<std::string>());
    }
    if (op.input == nullptr || op.input->type != ShapeType::kStructure) {
      return InternalError("service model: bad input shape for " + name);
    }
    if (const auto it = json.find("errors"); it != json.end()) {
      for (const auto& error : *it) op.errors.push_back(error.at("shape").get<std::string>());
    }
    model_->operations_[name] = std::move(op);
    return Status::Ok();
  }

  ServiceModel* model_;
};

StatusOr<std::unique_ptr<ServiceModel>> ServiceModel::Load(std::string_view json) {
  const Json root = Json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (!root.is_object()) return InternalError("service model: not a JSON object");
  std::unique_ptr<ServiceModel> model(new ServiceModel());
  try {
    RETURN_IF_ERROR(ModelLoader(model.get()).Load(root));
  } catch (const nlohmann::json::exception& e) {
    return InternalError(std::string("service model: ") + e.what());
  }
  return model;
}

std::vector<std::string_view> ServiceModel::OperationNames() const {
  std::vector<std::string_view> names;
  names.reserve(operations_.size());
  for (const auto& [name, op] : operations_) names.push_back(name);
  return names;
}

const Operation* ServiceModel::FindOperation(std::string_view name) const {
  const auto it = operations_.find(name);
  return it == operations_.end() ? nullptr : &it->second;
}

const Shape* ServiceModel::FindShape(std::string_view name) const {
  const auto it = shapes_.find(name);
  return it == shapes_.end() ? nullptr : it->second.get();
}

std::optional<int> ServiceModel::ErrorHttpStatus(std::string_view error_name) const {
  const auto it = error_http_status_.find(error_name);
  if (it == error_http_status_.end()) return std::nullopt;
  return it->second;
}

}  // namespace coffer::api
