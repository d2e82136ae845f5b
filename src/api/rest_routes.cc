#include "api/rest_routes.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <tuple>
#include <utility>

namespace coffer::api {

enum class Resource : std::uint8_t { kService, kBucket, kObject };

struct QueryLiteral {
  std::string key;
  std::optional<std::string> value;  // "?uploads" has none: any value matches

  bool operator==(const QueryLiteral&) const = default;
};

struct RestRoute {
  std::string operation;
  std::string method;
  Resource resource = Resource::kService;
  std::string literal_bucket;  // "WriteGetObjectResponse" for "/WriteGetObjectResponse"
  std::vector<QueryLiteral> literals;
  // Required input members sent in the query or as headers (lower-case).
  std::vector<std::string> required_query;
  std::vector<std::string> required_headers;
  bool deprecated = false;
  bool xid_only = false;
};

namespace {

using Json = nlohmann::json;
using QueryItems = std::vector<std::pair<std::string, std::string>>;

constexpr std::string_view kXidKey = "x-id";

// Operations the model cannot tell apart from a sibling that are reached only
// with x-id, besides deprecated ones. ListDirectoryBuckets lists S3 Express
// directory buckets; a bare GET / is ListBuckets for every client.
constexpr std::string_view kXidOnly[] = {"ListDirectoryBuckets"};

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// RFC 3986 percent-decoding. '+' stays '+': S3 keys may contain it, and
// SigV4 clients encode a space as %20.
std::optional<std::string> PercentDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    if (text.size() - i < 3) return std::nullopt;
    const int high = HexValue(text[i + 1]);
    const int low = HexValue(text[i + 2]);
    if (high < 0 || low < 0) return std::nullopt;
    out.push_back(static_cast<char>(high * 16 + low));
    i += 2;
  }
  return out;
}

std::optional<QueryItems> ParseQuery(std::string_view query) {
  QueryItems items;
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view item = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (item.empty()) continue;
    const std::size_t eq = item.find('=');
    auto key = PercentDecode(item.substr(0, eq));
    auto value = PercentDecode(eq == std::string_view::npos ? std::string_view() : item.substr(eq + 1));
    if (!key || !value) return std::nullopt;
    items.emplace_back(std::move(*key), std::move(*value));
  }
  return items;
}

const std::string* FindQuery(const QueryItems& items, std::string_view key) {
  for (const auto& [name, value] : items) {
    if (name == key) return &value;
  }
  return nullptr;
}

std::string Lower(std::string text) {
  for (char& c : text) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return text;
}

Status InvalidUri() {
  return Status(ErrorCode::kValidation, "Couldn't parse the specified URI.").Named("InvalidURI");
}

Status InvalidRequest(std::string message) {
  return Status(ErrorCode::kValidation, std::move(message)).Named("InvalidRequest");
}

// "uploads", "list-type=2", "select&select-type=2": the model's literals are
// plain text, never percent-encoded.
Status ParseLiterals(std::string_view uri, std::string_view query, RestRoute* out) {
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view item = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    const std::size_t eq = item.find('=');
    const std::string_view key = item.substr(0, eq);
    if (key.empty()) return InternalError("REST routes: bad query in requestUri " + std::string(uri));
    if (key == kXidKey) continue;  // names the operation; optional on the wire
    auto value =
        eq == std::string_view::npos ? std::nullopt : std::optional<std::string>(item.substr(eq + 1));
    out->literals.push_back({std::string(key), std::move(value)});
  }
  std::sort(out->literals.begin(), out->literals.end(), [](const QueryLiteral& a, const QueryLiteral& b) {
    return std::tie(a.key, a.value) < std::tie(b.key, b.value);
  });
  return Status::Ok();
}

// "/{Bucket}/{Key+}?uploads" -> resource, literal bucket, query literals.
Status ParseRequestUri(std::string_view uri, RestRoute* out) {
  const std::size_t question = uri.find('?');
  const std::string_view path = uri.substr(0, question);
  if (path == "/") {
    out->resource = Resource::kService;
  } else if (path == "/{Bucket}") {
    out->resource = Resource::kBucket;
  } else if (path == "/{Bucket}/{Key+}") {
    out->resource = Resource::kObject;
  } else if (path.size() > 1 && path[0] == '/' && path.find_first_of("/{}", 1) == std::string_view::npos) {
    out->resource = Resource::kBucket;
    out->literal_bucket = std::string(path.substr(1));
  } else {
    return InternalError("REST routes: unsupported requestUri " + std::string(uri));
  }
  if (question == std::string_view::npos) return Status::Ok();
  return ParseLiterals(uri, uri.substr(question + 1), out);
}

void AddDiscriminators(const Json& input_shape, RestRoute* out) {
  const auto required = input_shape.find("required");
  if (required == input_shape.end()) return;
  const Json& members = input_shape.at("members");
  for (const auto& name : *required) {
    const Json& member = members.at(name.get<std::string>());
    const std::string location = member.value("location", "");
    const std::string wire_name = member.value("locationName", name.get<std::string>());
    if (location == "header") out->required_headers.push_back(Lower(wire_name));
    if (location == "querystring") out->required_query.push_back(wire_name);
  }
  std::sort(out->required_headers.begin(), out->required_headers.end());
  std::sort(out->required_query.begin(), out->required_query.end());
}

StatusOr<std::unique_ptr<RestRoute>> ParseRoute(const std::string& name, const Json& op, const Json& shapes) {
  auto route = std::make_unique<RestRoute>();
  route->operation = name;
  const Json& http = op.at("http");
  route->method = http.at("method").get<std::string>();
  route->deprecated = op.value("deprecated", false);
  RETURN_IF_ERROR(ParseRequestUri(http.at("requestUri").get<std::string>(), route.get()));
  if (const auto input = op.find("input"); input != op.end()) {
    AddDiscriminators(shapes.at(input->at("shape").get<std::string>()), route.get());
  }
  return route;
}

// Everything a request can tell routes apart by.
auto Signature(const RestRoute& route) {
  return std::tie(route.method, route.resource, route.literal_bucket, route.literals, route.required_query,
                  route.required_headers);
}

// Among operations no request can tell apart, exactly one may answer without
// x-id: the one neither deprecated nor listed in kXidOnly.
Status MarkXidOnly(std::vector<std::unique_ptr<RestRoute>>& routes) {
  for (auto& route : routes) {
    route->xid_only =
        std::find(std::begin(kXidOnly), std::end(kXidOnly), route->operation) != std::end(kXidOnly);
  }
  for (std::size_t i = 0; i < routes.size(); ++i) {
    for (std::size_t j = i + 1; j < routes.size(); ++j) {
      RestRoute& a = *routes[i];
      RestRoute& b = *routes[j];
      if (Signature(a) != Signature(b) || a.xid_only || b.xid_only) continue;
      if (a.deprecated == b.deprecated) {
        return InternalError("REST routes: " + a.operation + " and " + b.operation + " cannot be told apart");
      }
      (a.deprecated ? a : b).xid_only = true;
    }
  }
  return Status::Ok();
}

// Higher is a better match: literal path, literal query items, discriminators
// present, then fewer discriminators missing (negated).
using Rank = std::tuple<bool, std::size_t, std::size_t, std::ptrdiff_t>;

// `named`: the request's x-id names this route, which then needs none of its
// discriminators.
std::optional<Rank> RankRoute(const RestRoute& route, const QueryItems& query,
                              const std::function<bool(std::string_view)>& has_header, bool named) {
  for (const auto& literal : route.literals) {
    const std::string* value = FindQuery(query, literal.key);
    if (value == nullptr || (literal.value && *literal.value != *value)) return std::nullopt;
  }
  std::size_t present = 0;
  for (const auto& name : route.required_query) present += FindQuery(query, name) != nullptr ? 1 : 0;
  for (const auto& name : route.required_headers) present += has_header(name) ? 1 : 0;
  const std::size_t total = route.required_query.size() + route.required_headers.size();
  const bool literal_path = !route.literal_bucket.empty();
  if (!named && !literal_path && route.literals.empty() && total > 0 && present == 0) return std::nullopt;
  return Rank{literal_path, route.literals.size(), present, -static_cast<std::ptrdiff_t>(total - present)};
}

}  // namespace

RestRouter::RestRouter(std::vector<std::unique_ptr<RestRoute>> routes) : routes_(std::move(routes)) {}
RestRouter::RestRouter(RestRouter&&) noexcept = default;
RestRouter& RestRouter::operator=(RestRouter&&) noexcept = default;
RestRouter::~RestRouter() = default;

StatusOr<RestRouter> RestRouter::FromModelJson(std::string_view json) {
  const Json root = Json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (!root.is_object()) return InternalError("REST routes: model is not a JSON object");
  std::vector<std::unique_ptr<RestRoute>> routes;
  try {
    const Json& shapes = root.at("shapes");
    for (const auto& [name, op] : root.at("operations").items()) {
      ASSIGN_OR_RETURN(auto route, ParseRoute(name, op, shapes));
      routes.push_back(std::move(route));
    }
  } catch (const nlohmann::json::exception& e) {
    return InternalError(std::string("REST routes: ") + e.what());
  }
  if (routes.empty()) return InternalError("REST routes: model has no operations");
  RETURN_IF_ERROR(MarkXidOnly(routes));
  return RestRouter(std::move(routes));
}

StatusOr<RestMatch> RestRouter::Match(std::string_view method, std::string_view path, std::string_view query,
                                      const std::function<bool(std::string_view)>& has_header) const {
  if (path.empty() || path[0] != '/') return InvalidUri();
  path.remove_prefix(1);
  const std::size_t slash = path.find('/');
  auto bucket = PercentDecode(path.substr(0, slash));
  auto key = PercentDecode(slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1));
  if (!bucket || !key) return InvalidUri();
  return Match(method, std::move(*bucket), std::move(*key), query, has_header);
}

StatusOr<RestMatch> RestRouter::Match(std::string_view method, std::string bucket, std::string key,
                                      std::string_view query,
                                      const std::function<bool(std::string_view)>& has_header) const {
  if (bucket.empty() && !key.empty()) return InvalidUri();
  const auto items = ParseQuery(query);
  if (!items) return InvalidUri();
  const Resource resource = bucket.empty() ? Resource::kService
                            : key.empty()  ? Resource::kBucket
                                           : Resource::kObject;
  const std::string* xid = FindQuery(*items, kXidKey);
  bool resource_known = false;
  bool method_known = false;
  const RestRoute* best = nullptr;
  const RestRoute* tied = nullptr;
  Rank best_rank;
  for (const auto& route : routes_) {
    if (route->resource != resource || (!route->literal_bucket.empty() && route->literal_bucket != bucket))
      continue;
    resource_known = true;
    if (route->method != method) continue;
    method_known = true;
    if (xid != nullptr ? route->operation != *xid : route->xid_only) continue;
    const auto rank = RankRoute(*route, *items, has_header, xid != nullptr);
    if (!rank) continue;
    if (best == nullptr || *rank > best_rank) {
      best = route.get();
      best_rank = *rank;
      tied = nullptr;
    } else if (*rank == best_rank) {
      tied = route.get();
    }
  }
  if (best == nullptr) {
    if (resource_known && !method_known) {
      return Status(ErrorCode::kMethodNotAllowed,
                    "The specified method is not allowed against this resource.");
    }
    if (xid != nullptr)
      return InvalidRequest("The x-id query parameter does not name an operation for this request.");
    return Status(ErrorCode::kNotImplemented,
                  "A header you provided implies functionality that is not implemented.");
  }
  if (tied != nullptr) {
    return InvalidRequest("The request matches both " + best->operation + " and " + tied->operation +
                          "; name one with the x-id query parameter.");
  }
  return RestMatch{best->operation, std::move(bucket), std::move(key)};
}

std::vector<std::string_view> RestRouter::XidOnlyOperations() const {
  std::vector<std::string_view> names;
  for (const auto& route : routes_) {
    if (route->xid_only) names.emplace_back(route->operation);
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace coffer::api
