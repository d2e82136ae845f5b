#include "audit/lookup.h"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <optional>

#include "audit/chain.h"
#include "audit/node_dirs.h"
#include "common/encoding.h"

namespace coffer::audit {
namespace {

using nlohmann::json;

constexpr std::size_t kDefaultMaxResults = 50;
constexpr auto kDefaultWindow = std::chrono::hours(24 * 90);
constexpr std::string_view kTokenPrefix = "coffer-lookup-v2:";

// An event's place in the merged order: newest first by event time, then
// node id, then the node's sequence number (descending). A total order that
// never changes once an event is written, so a NextToken (the last place
// returned) resumes exactly after it whichever node serves the next page.
struct Place {
  std::int64_t time = 0;  // epoch seconds (eventTime has second precision)
  std::string node;
  std::uint64_t seq = 0;
  auto operator<=>(const Place&) const = default;
};

struct Query {
  std::string key;  // empty: no attribute
  std::string value;
  TimePoint start;
  TimePoint end;
  std::size_t max_results = kDefaultMaxResults;
  std::optional<Place> after;  // from NextToken: only events after this place
};

// Clamped to +-3000 years so the conversion to the clock's ticks cannot overflow.
TimePoint FromJsonTime(const json& value) {
  const double seconds = value.is_number() ? std::clamp(value.get<double>(), -1e11, 1e11) : 0.0;
  return TimePoint(std::chrono::duration_cast<TimePoint::duration>(std::chrono::duration<double>(seconds)));
}

std::string EncodeToken(const Place& p) {
  const std::string text =
      std::string(kTokenPrefix) + std::to_string(p.time) + ":" + std::to_string(p.seq) + ":" + p.node;
  return Base64Encode(AsBytes(text));
}

StatusOr<Place> DecodeToken(const std::string& token) {
  const Status invalid(ErrorCode::kInvalidNextToken, "Invalid NextToken");
  const auto raw = Base64Decode(token);
  const std::string text = raw ? std::string(AsChars(*raw)) : "";
  if (!text.starts_with(kTokenPrefix)) return invalid;
  const std::string rest = text.substr(kTokenPrefix.size());
  const std::size_t first = rest.find(':');
  const std::size_t second = first == std::string::npos ? first : rest.find(':', first + 1);
  if (second == std::string::npos) return invalid;
  Place p;
  p.node = rest.substr(second + 1);
  if (!p.node.empty() && !IsValidNodeId(p.node)) return invalid;
  const std::string time = rest.substr(0, first);
  const std::string seq = rest.substr(first + 1, second - first - 1);
  const auto [time_end, time_ec] = std::from_chars(time.data(), time.data() + time.size(), p.time);
  const auto [seq_end, seq_ec] = std::from_chars(seq.data(), seq.data() + seq.size(), p.seq);
  if (time.empty() || seq.empty() || time_ec != std::errc() || seq_ec != std::errc() ||
      time_end != time.data() + time.size() || seq_end != seq.data() + seq.size()) {
    return invalid;
  }
  return p;
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
    ASSIGN_OR_RETURN(q.after, DecodeToken(request["NextToken"].get<std::string>()));
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
  Place place;
  json event;
};

// Whole lines only: a line another process is writing right now has no
// newline yet and is skipped (it is there at the next lookup).
std::vector<std::string> CompleteLines(const std::filesystem::path& path) {
  std::vector<std::string> lines;
  std::ifstream in(path, std::ios::binary);
  std::string line;
  while (std::getline(in, line)) {
    if (in.eof()) break;  // no newline after it
    lines.push_back(std::move(line));
  }
  return lines;
}

// One node's records of the account in the window and after the token.
void Scan(const NodeDir& node, std::string_view account, const Query& q, std::vector<Candidate>& out) {
  for (const std::string& line : CompleteLines(node.dir / kEventsFile)) {
    auto record = ParseRecord(line);
    if (!record.ok()) continue;
    const json& event = record->event;
    if (event.value("recipientAccountId", "") != account) continue;
    // LookupEvents shows management events only, as CloudTrail does.
    if (!event.value("managementEvent", true)) continue;
    auto t = ParseIsoTime(event.value("eventTime", ""));
    if (!t.ok() || *t < q.start || *t > q.end || !Matches(q, event)) continue;
    Place place{std::chrono::duration_cast<std::chrono::seconds>(t->time_since_epoch()).count(), node.node_id,
                record->seq};
    if (q.after && place >= *q.after) continue;
    out.push_back(Candidate{std::move(place), std::move(record->event)});
  }
}

}  // namespace

StatusOr<json> LookupEvents(const std::vector<NodeDir>& nodes, std::string_view account_id,
                            const json& request, TimePoint now) {
  ASSIGN_OR_RETURN(Query q, ReadQuery(request, now));
  // Insights events are never recorded here.
  if (request.value("EventCategory", "") == "insight") return json{{"Events", json::array()}};
  std::vector<Candidate> found;
  for (const NodeDir& node : nodes) Scan(node, account_id, q, found);
  const std::size_t taken = std::min(q.max_results, found.size());
  std::partial_sort(found.begin(), found.begin() + static_cast<std::ptrdiff_t>(taken), found.end(),
                    [](const Candidate& a, const Candidate& b) { return a.place > b.place; });
  json events = json::array();
  for (std::size_t i = 0; i < taken; ++i) events.push_back(ToLookupEvent(found[i].event));
  json response = {{"Events", events}};
  if (taken < found.size() && taken > 0) response["NextToken"] = EncodeToken(found[taken - 1].place);
  return response;
}

StatusOr<json> LookupEvents(const std::filesystem::path& dir, std::string_view account_id,
                            const json& request, TimePoint now) {
  return LookupEvents(std::vector<NodeDir>{NodeDir{"", dir}}, account_id, request, now);
}

}  // namespace coffer::audit
