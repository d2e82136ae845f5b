#include "common/json_view.h"

#include <simdjson.h>

#include <algorithm>
#include <cstring>
#include <new>
#include <type_traits>
#include <vector>

#include "common/simdjson_convert.h"

namespace coffer {
namespace {

using nlohmann::json;
using simdjson::dom::element;
using Type = simdjson::dom::element_type;

static_assert(std::is_trivially_copyable_v<element>);
static_assert(sizeof(element) <= 16 && alignof(element) <= 8);

void Store(const element& e, unsigned char* out) { std::memcpy(out, &e, sizeof(element)); }

// The memcpy in Store implicitly creates an element (an implicit-lifetime
// type) in the byte array that provides its storage; launder reaches it.
const element& Load(const unsigned char* in) { return *std::launder(reinterpret_cast<const element*>(in)); }

// True when some object in the document repeats a key. `keys` is scratch
// space kept by the caller so a warm check does not allocate.
bool HasRepeatedKey(const element& e, std::vector<std::string_view>& keys) {
  if (e.type() == Type::ARRAY) {
    for (auto child : simdjson::dom::array(e)) {
      if (HasRepeatedKey(child, keys)) return true;
    }
    return false;
  }
  if (e.type() != Type::OBJECT) return false;
  const simdjson::dom::object object(e);
  const std::size_t base = keys.size();
  for (auto field : object) keys.push_back(field.key);
  std::sort(keys.begin() + static_cast<std::ptrdiff_t>(base), keys.end());
  const bool repeated =
      std::adjacent_find(keys.begin() + static_cast<std::ptrdiff_t>(base), keys.end()) != keys.end();
  keys.resize(base);
  if (repeated) return true;
  for (auto field : object) {
    if (HasRepeatedKey(field.value, keys)) return true;
  }
  return false;
}

}  // namespace

JsonView JsonView::Of(const element& e) {
  JsonView view;
  view.kind_ = Kind::kSimd;
  Store(e, view.simd_);
  return view;
}

const element& JsonView::simd() const { return Load(simd_); }

bool JsonView::is_null() const {
  switch (kind_) {
    case Kind::kAbsent:
      return true;
    case Kind::kNlohmann:
      return n_->is_null();
    case Kind::kSimd:
      return simd().type() == Type::NULL_VALUE;
  }
  return true;
}

bool JsonView::is_object() const {
  return kind_ == Kind::kNlohmann ? n_->is_object() : kind_ == Kind::kSimd && simd().type() == Type::OBJECT;
}

bool JsonView::is_array() const {
  return kind_ == Kind::kNlohmann ? n_->is_array() : kind_ == Kind::kSimd && simd().type() == Type::ARRAY;
}

bool JsonView::is_string() const {
  return kind_ == Kind::kNlohmann ? n_->is_string() : kind_ == Kind::kSimd && simd().type() == Type::STRING;
}

bool JsonView::is_boolean() const {
  return kind_ == Kind::kNlohmann ? n_->is_boolean() : kind_ == Kind::kSimd && simd().type() == Type::BOOL;
}

bool JsonView::is_number() const {
  if (kind_ == Kind::kNlohmann) return n_->is_number();
  if (kind_ != Kind::kSimd) return false;
  const Type t = simd().type();
  return t == Type::INT64 || t == Type::UINT64 || t == Type::DOUBLE;
}

bool JsonView::is_number_float() const {
  return kind_ == Kind::kNlohmann ? n_->is_number_float()
                                  : kind_ == Kind::kSimd && simd().type() == Type::DOUBLE;
}

bool JsonView::is_number_unsigned() const {
  if (kind_ == Kind::kNlohmann) {
    return n_->is_number_unsigned() &&
           n_->get<std::uint64_t>() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  }
  return kind_ == Kind::kSimd && simd().type() == Type::UINT64;
}

std::string_view JsonView::str() const {
  if (kind_ == Kind::kNlohmann)
    return n_->is_string() ? std::string_view(n_->get_ref<const std::string&>()) : "";
  if (kind_ == Kind::kSimd && simd().type() == Type::STRING) return simd().get_string().value_unsafe();
  return {};
}

bool JsonView::boolean() const {
  if (kind_ == Kind::kNlohmann) return n_->is_boolean() && n_->get<bool>();
  return kind_ == Kind::kSimd && simd().type() == Type::BOOL && simd().get_bool().value_unsafe();
}

std::int64_t JsonView::int64() const {
  if (kind_ == Kind::kNlohmann)
    return n_->is_number_integer() && !is_number_unsigned() ? n_->get<std::int64_t>() : 0;
  if (kind_ == Kind::kSimd && simd().type() == Type::INT64) return simd().get_int64().value_unsafe();
  return 0;
}

std::uint64_t JsonView::uint64() const {
  if (kind_ == Kind::kNlohmann) return n_->is_number_integer() ? n_->get<std::uint64_t>() : 0;
  if (kind_ != Kind::kSimd) return 0;
  if (simd().type() == Type::UINT64) return simd().get_uint64().value_unsafe();
  if (simd().type() == Type::INT64) return static_cast<std::uint64_t>(simd().get_int64().value_unsafe());
  return 0;
}

double JsonView::number() const {
  if (kind_ == Kind::kNlohmann) return n_->is_number() ? n_->get<double>() : 0.0;
  if (kind_ != Kind::kSimd) return 0.0;
  switch (simd().type()) {
    case Type::INT64:
      return static_cast<double>(simd().get_int64().value_unsafe());
    case Type::UINT64:
      return static_cast<double>(simd().get_uint64().value_unsafe());
    case Type::DOUBLE:
      return simd().get_double().value_unsafe();
    default:
      return 0.0;
  }
}

JsonView JsonView::find(std::string_view key) const {
  if (kind_ == Kind::kNlohmann) {
    if (!n_->is_object()) return {};
    const auto it = n_->find(key);
    return it == n_->end() ? JsonView() : JsonView(*it);
  }
  if (kind_ != Kind::kSimd || simd().type() != Type::OBJECT) return {};
  element value;
  if (simdjson::dom::object(simd()).at_key(key).get(value) != simdjson::SUCCESS) return {};
  return Of(value);
}

std::string_view JsonView::string_member(std::string_view key, std::string_view fallback) const {
  const JsonView v = find(key);
  return v.is_string() ? v.str() : fallback;
}

std::size_t JsonView::size() const {
  if (kind_ == Kind::kNlohmann) return n_->is_object() || n_->is_array() ? n_->size() : 0;
  if (kind_ != Kind::kSimd) return 0;
  if (simd().type() == Type::OBJECT) return simdjson::dom::object(simd()).size();
  if (simd().type() == Type::ARRAY) return simdjson::dom::array(simd()).size();
  return 0;
}

void JsonView::ForEachMember(FunctionRef<bool(std::string_view, JsonView)> visit) const {
  if (kind_ == Kind::kNlohmann) {
    if (!n_->is_object()) return;
    for (const auto& [key, value] : n_->items()) {
      if (!visit(key, JsonView(value))) return;
    }
    return;
  }
  if (kind_ != Kind::kSimd || simd().type() != Type::OBJECT) return;
  for (auto field : simdjson::dom::object(simd())) {
    if (!visit(field.key, Of(field.value))) return;
  }
}

void JsonView::ForEachElement(FunctionRef<bool(JsonView)> visit) const {
  if (kind_ == Kind::kNlohmann) {
    if (!n_->is_array()) return;
    for (const auto& value : *n_) {
      if (!visit(JsonView(value))) return;
    }
    return;
  }
  if (kind_ != Kind::kSimd || simd().type() != Type::ARRAY) return;
  for (auto child : simdjson::dom::array(simd())) {
    if (!visit(Of(child))) return;
  }
}

json JsonView::ToNlohmann() const {
  if (kind_ == Kind::kNlohmann) return *n_;
  if (kind_ == Kind::kSimd) return internal::FromSimdjson(simd());
  return json(nullptr);
}

std::string JsonView::Dump() const { return ToNlohmann().dump(); }

JsonDocument::JsonDocument()
    : parser_(std::make_unique<simdjson::dom::parser>(simdjson::SIMDJSON_MAXSIZE_BYTES)) {}

JsonDocument::~JsonDocument() = default;

bool JsonDocument::Parse(std::string_view text) {
  thread_local std::vector<std::string_view> keys;
  simd_ok_ = false;
  fallback_.reset();
  // simdjson reads up to SIMDJSON_PADDING bytes past the end: the text is
  // copied into a padded buffer kept from one parse to the next, so a warm
  // document parses without allocating.
  if (padded_capacity_ < text.size() + simdjson::SIMDJSON_PADDING) {
    padded_capacity_ = std::max(text.size() + simdjson::SIMDJSON_PADDING, std::size_t{4096});
    padded_ = std::make_unique<char[]>(padded_capacity_);
  }
  std::memcpy(padded_.get(), text.data(), text.size());
  std::memset(padded_.get() + text.size(), 0, simdjson::SIMDJSON_PADDING);
  element root;
  const simdjson::error_code error = parser_->parse(padded_.get(), text.size(), false).get(root);
  // Nesting deeper than simdjson's 1024 levels is refused, not handed to
  // nlohmann: every reader of a request (validation, the audit record, the
  // nlohmann copy for operations) walks it recursively, and AWS's own JSON
  // deserializer also stops at about 1000 levels.
  if (error == simdjson::DEPTH_ERROR) return false;
  if (error == simdjson::SUCCESS && !HasRepeatedKey(root, keys)) {
    Store(root, root_);
    simd_ok_ = true;
    return true;
  }
  keys.clear();
  json value = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) return false;
  fallback_ = std::move(value);
  return true;
}

JsonView JsonDocument::root() const {
  if (simd_ok_) return JsonView::Of(Load(root_));
  if (fallback_) return JsonView(*fallback_);
  return {};
}

namespace internal {

json FromSimdjson(const element& e) {
  switch (e.type()) {
    case Type::OBJECT: {
      json out = json::object();
      for (auto field : simdjson::dom::object(e)) out[std::string(field.key)] = FromSimdjson(field.value);
      return out;
    }
    case Type::ARRAY: {
      json out = json::array();
      for (auto child : simdjson::dom::array(e)) out.push_back(FromSimdjson(child));
      return out;
    }
    case Type::STRING:
      return json(std::string(e.get_string().value_unsafe()));
    case Type::INT64:
      return json(e.get_int64().value_unsafe());
    case Type::UINT64:
      return json(e.get_uint64().value_unsafe());
    case Type::DOUBLE:
      return json(e.get_double().value_unsafe());
    case Type::BOOL:
      return json(e.get_bool().value_unsafe());
    case Type::NULL_VALUE:
      return json(nullptr);
  }
  return json(nullptr);
}

}  // namespace internal
}  // namespace coffer
