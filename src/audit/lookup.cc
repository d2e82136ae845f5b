#include "audit/lookup.h"

#include <algorithm>
#include <fstream>
#include <optional>

#include "audit/chain.h"
#include "common/encoding.h"

namespace coffer::audit {
namespace {

using nlohmann::json;

constexpr std::size_t kDefaultMaxResults = 50;
constexpr auto kDefaultWindow = std::chrono::hours(24 * 90);
constexpr std::string_view kTokenPrefix = "coffer-lookup-v1:";

struct Query {
  std::string key;  // empty: no attribute
  std::string value;
  TimePoint start;
  TimePoint end;
  std::size_t max_results = kDefaultMaxResults;
  std::uint64_t before_seq = UINT64_MAX;  // from NextToken
};

// Clamped to +-3000 years so the conversion to the clock's ticks cannot overflow.
TimePoint FromJsonTime(const json& value) {
  const double seconds = value.is_number() ? std::clamp(value.get<double>(), -1e11, 1e11) : 0.0;
  return TimePoint(std::chrono::duration_cast<TimePoint::duration>(std::chrono::duration<double>(seconds)));
}

StatusOr<std::uint64_t> DecodeToken(const std::string& token) {
  const auto raw = Base64Decode(token);
  const std::string text = raw ? std::string(AsChars(*raw)) : "";
  if (!text.starts_with(kTokenPrefix)) return Status(ErrorCode::kInvalidNextToken, "Invalid NextToken");
  try {
    return std::stoull(text.substr(kTokenPrefix.size()));
  } catch (const std::exception&) {
    return Status(ErrorCode::kInvalidNextToken, "Invalid NextToken");
  }
}

StatusOr<Query> ReadQuery(const json& request, TimePoint now) {
  Query q;
  q.end = request.contains("EndTime") ? FromJsonTime(request["EndTime"]) : now;
  q.start = request.contains("StartTime") ? FromJsonTime(request["StartTime"]) : q.end - kDefaultWindow;
  if (q.start > q.end) {
    return Status(ErrorCode::kInvalidTimeRange, "Start time must be earlier than or equal to end time.");
  }
  if (request.contains("MaxResults")) q.max_results = request["MaxResults"].get<std::size_t>();
  if (const auto& attrs = request.value("LookupAttributes", json::array()); !attrs.empty()) {
    if (attrs.size() > 1) {
      return Status(ErrorCode::kInvalidLookupAttributes, "You can only specify one lookup attribute.");
    }
    q.key = attrs[0]["AttributeKey"].get<std::string>();
    q.value = attrs[0]["AttributeValue"].get<std::string>();
  }
  if (request.contains("NextToken")) {
    ASSIGN_OR_RETURN(q.before_seq, DecodeToken(request["NextToken"].get<std::string>()));
  }
  return q;
}

std::string Username(const json& event) {
  const json& id = event.value("userIdentity", json::object());
  if (id.contains("userName")) return id["userName"].get<std::string>();
  const json& issuer = id.value("sessionContext", json::object()).value("sessionIssuer", json::object());
  return issuer.value("userName", "");
}

bool AnyResource(const json& event, const char* field, const std::string& value) {
  for (const auto& r : event.value("resources", json::array())) {
    const std::string v = r.value(field, "");
    if (v == value || (std::string_view(field) == "ARN" && v.ends_with("/" + value))) return true;
  }
  return false;
}

bool Matches(const Query& q, const json& event) {
  if (q.key.empty()) return true;
  if (q.key == "EventId") return event.value("eventID", "") == q.value;
  if (q.key == "EventName") return event.value("eventName", "") == q.value;
  if (q.key == "EventSource") return event.value("eventSource", "") == q.value;
  if (q.key == "ReadOnly") return (event.value("readOnly", false) ? "true" : "false") == q.value;
  if (q.key == "Username") return Username(event) == q.value;
  if (q.key == "AccessKeyId")
    return event.value("userIdentity", json::object()).value("accessKeyId", "") == q.value;
  if (q.key == "ResourceName") return AnyResource(event, "ARN", q.value);
  if (q.key == "ResourceType") return AnyResource(event, "type", q.value);
  return false;
}

json ToLookupEvent(const json& event) {
  json resources = json::array();
  for (const auto& r : event.value("resources", json::array())) {
    resources.push_back({{"ResourceType", r.value("type", "")}, {"ResourceName", r.value("ARN", "")}});
  }
  json out = {{"EventId", event.value("eventID", "")},
              {"EventName", event.value("eventName", "")},
              {"ReadOnly", event.value("readOnly", false) ? "true" : "false"},
              {"EventSource", event.value("eventSource", "")},
              {"Resources", resources},
              {"CloudTrailEvent", event.dump()}};
  if (auto t = ParseIsoTime(event.value("eventTime", "")); t.ok()) out["EventTime"] = ToEpochSeconds(*t);
  if (const std::string user = Username(event); !user.empty()) out["Username"] = user;
  const std::string key_id = event.value("userIdentity", json::object()).value("accessKeyId", "");
  if (!key_id.empty()) out["AccessKeyId"] = key_id;
  return out;
}

struct Candidate {
  std::uint64_t seq;
  json event;
};

// Records of the account in the window and before the token, oldest first.
std::vector<Candidate> Scan(const std::filesystem::path& dir, std::string_view account, const Query& q) {
  std::vector<Candidate> out;
  std::ifstream in(dir / kEventsFile);
  std::string line;
  while (std::getline(in, line)) {
    auto record = ParseRecord(line);
    if (!record.ok() || record->seq >= q.before_seq) continue;
    const json& event = record->event;
    if (event.value("recipientAccountId", "") != account) continue;
    // LookupEvents shows management events only, as CloudTrail does.
    if (!event.value("managementEvent", true)) continue;
    auto t = ParseIsoTime(event.value("eventTime", ""));
    if (!t.ok() || *t < q.start || *t > q.end || !Matches(q, event)) continue;
    out.push_back(Candidate{record->seq, std::move(record->event)});
  }
  return out;
}

}  // namespace

StatusOr<json> LookupEvents(const std::filesystem::path& dir, std::string_view account_id,
                            const json& request, TimePoint now) {
  ASSIGN_OR_RETURN(Query q, ReadQuery(request, now));
  // Insights events are never recorded here.
  if (request.value("EventCategory", "") == "insight") return json{{"Events", json::array()}};
  std::vector<Candidate> found = Scan(dir, account_id, q);
  json events = json::array();
  std::size_t taken = 0;
  for (auto it = found.rbegin(); it != found.rend() && taken < q.max_results; ++it, ++taken) {
    events.push_back(ToLookupEvent(it->event));
  }
  json response = {{"Events", events}};
  if (taken < found.size()) {
    const std::uint64_t next = found[found.size() - taken].seq;
    response["NextToken"] = Base64Encode(AsBytes(std::string(kTokenPrefix) + std::to_string(next)));
  }
  return response;
}

}  // namespace coffer::audit
