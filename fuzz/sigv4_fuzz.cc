// Feeds arbitrary requests to the SigV4 verifier. Input layout, like an
// HTTP/1.1 request without the version: "METHOD target\n", then "Name:value"
// lines, a blank line, the body. Each step is bounds-checked; anything goes.
// The clock and the one known secret match the AWS test suite, so seeds taken
// from ../shared/oracles/sigv4 reach the signature comparison.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "auth/canonical.h"
#include "auth/sigv4.h"
#include "common/bytes.h"
#include "common/clock.h"

namespace {

using coffer::auth::HttpRequest;

class OneSecret final : public coffer::auth::SecretKeySource {
 public:
  coffer::StatusOr<coffer::SecretBytes> SecretKeyFor(std::string_view access_key_id) override {
    if (access_key_id != "AKIDEXAMPLE") return coffer::NotFoundError("unknown");
    return coffer::SecretBytes(coffer::AsBytes("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"));
  }
};

std::string_view NextLine(std::string_view& text) {
  const std::size_t nl = text.find('\n');
  const std::string_view line = text.substr(0, nl);
  text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
  return line;
}

HttpRequest ParseRequest(std::string_view text) {
  HttpRequest request;
  const std::string_view first = NextLine(text);
  const std::size_t space = first.find(' ');
  request.method = first.substr(0, space);
  if (space != std::string_view::npos) request.target = first.substr(space + 1);
  while (!text.empty()) {
    const std::string_view line = NextLine(text);
    if (line.empty()) break;
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      request.headers.emplace_back(std::string(line), std::string());
    } else {
      request.headers.emplace_back(std::string(line.substr(0, colon)), std::string(line.substr(colon + 1)));
    }
  }
  request.body = text;
  return request;
}

// Requests whose signature the verifier must accept: no presigned
// parameters to confuse the form, and header names that survive the
// SignedHeaders list (non-empty, no ';' ',' '=' or whitespace).
bool SignableAsIs(const HttpRequest& request) {
  std::string algorithm;
  if (coffer::auth::internal::FindQueryParam(coffer::auth::internal::TargetQuery(request.target),
                                             "X-Amz-Algorithm", algorithm)) {
    return false;
  }
  for (const auto& [name, value] : request.headers) {
    if (name.empty() || name.find_first_of(";,= \t\r\n") != std::string::npos) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // 2015-08-30T12:36:00Z, the suite's timestamp.
  static const coffer::FakeClock clock(coffer::TimePoint(std::chrono::seconds(1440938160)));
  static OneSecret secrets;
  static coffer::auth::SigV4Verifier verifier(clock, secrets);

  const HttpRequest request = ParseRequest(std::string_view(reinterpret_cast<const char*>(data), size));
  const coffer::StatusOr<coffer::auth::VerifiedIdentity> result = verifier.Verify(request);
  if (result.ok() && result->access_key_id != "AKIDEXAMPLE") __builtin_trap();
  if (!result.ok() && result.status().message().empty()) __builtin_trap();

  // The signer must accept any request that has a Host header.
  HttpRequest copy = request;
  coffer::auth::SigningParams params;
  params.access_key_id = "AKIDEXAMPLE";
  params.secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
  params.region = "us-east-1";
  params.service = "service";
  params.time = clock.Now();
  if (coffer::auth::SignRequest(copy, params).ok() && SignableAsIs(copy)) {
    // What we sign, we verify.
    if (!verifier.Verify(copy).ok()) __builtin_trap();
  }
  return 0;
}
