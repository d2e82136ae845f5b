// libFuzzer target: arbitrary bytes as a request body, validated against the
// KMS model. The first byte picks the operation, so every input shape gets
// exercised; Encrypt (the hot path) sees every input too. Validation must
// return a Status for anything, never crash, hang or throw.
// Differential part: the server parses bodies with simdjson (JsonDocument);
// it must accept exactly what nlohmann accepts, read the same value, and the
// validator must give the same answer on either.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "api/embedded_models.h"
#include "api/service_model.h"
#include "api/validator.h"
#include "common/json_view.h"

namespace {

const coffer::api::ServiceModel& Model() {
  static const coffer::api::ServiceModel* const model = [] {
    auto loaded = coffer::api::ServiceModel::Load(coffer::api::EmbeddedKmsModel());
    if (!loaded.ok()) __builtin_trap();
    return std::move(loaded).value().release();
  }();
  return *model;
}

void CheckOne(const coffer::api::Operation& op, const nlohmann::json& body) {
  const coffer::Status status = coffer::api::ValidateInput(Model(), op, body);
  if (status.ok()) {
    // A valid body's blobs must decode: the validator and the decoder agree.
    for (const auto& member : op.input->members) {
      if (member.shape->type != coffer::api::ShapeType::kBlob) continue;
      const auto it = body.find(member.name);
      if (it == body.end() || it->is_null()) continue;
      if (!coffer::api::DecodeBlob(*it).ok()) __builtin_trap();
    }
  } else if (status.code() != coffer::ErrorCode::kValidation &&
             status.code() != coffer::ErrorCode::kSerialization) {
    __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  static const std::vector<std::string_view> names = Model().OperationNames();
  const coffer::api::Operation& picked = *Model().FindOperation(names[data[0] % names.size()]);
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  const nlohmann::json body = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  static coffer::JsonDocument document;
  const bool parsed = document.Parse(text);
  // The one intended difference: nesting beyond 1024 levels is refused.
  const bool maybe_deep =
      std::count_if(text.begin(), text.end(), [](char c) { return c == '[' || c == '{'; }) > 1024;
  if (parsed == body.is_discarded() && !(maybe_deep && !parsed)) __builtin_trap();
  if (!parsed && maybe_deep) return 0;
  if (body.is_discarded()) return 0;
  if (document.root().ToNlohmann() != body) __builtin_trap();
  for (const coffer::api::Operation* op : {&picked, Model().FindOperation("Encrypt")}) {
    const coffer::Status from_dom = coffer::api::ValidateInput(Model(), *op, body);
    const coffer::Status from_view = coffer::api::ValidateInput(Model(), *op, document.root());
    // Map members come in document order from simdjson and sorted from
    // nlohmann, so the violations may be listed in another order: compare
    // the messages as multisets of characters.
    std::string a(from_dom.message());
    std::string b(from_view.message());
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    if (from_dom.code() != from_view.code() || a != b) __builtin_trap();
  }
  CheckOne(picked, body);
  CheckOne(*Model().FindOperation("Encrypt"), body);
  return 0;
}
