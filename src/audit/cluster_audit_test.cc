// The audit trail of a cluster: every node's chain in its own subdirectory of
// one shared directory, LookupEvents merging them (order, NextToken across
// nodes), the store's node register, and `coffer audit verify --cluster-dir`
// reporting per node (intact, tampered, missing, unregistered, swapped).
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <random>

#include "audit/audit_log.h"
#include "audit/audit_test_util.h"
#include "audit/chain.h"
#include "audit/cluster_verify.h"
#include "audit/event.h"
#include "audit/key_usage.h"
#include "audit/lookup.h"
#include "audit/node_dirs.h"
#include "audit/node_registry.h"
#include "common/encoding.h"
#include "crypto/signing_key.h"
#include "store/store.h"

namespace coffer::audit {
namespace {

using nlohmann::json;

constexpr const char* kAccount = "111122223333";
const TimePoint kT0 = std::chrono::system_clock::from_time_t(1'800'000'000);

using test_util::ReadLines;
using test_util::WriteLines;

class ClusterAuditTest : public ::testing::Test {
 protected:
  ClusterAuditTest() : clock_(kT0) {
    root_ = std::filesystem::temp_directory_path() /
            ("coffer-cluster-audit-test-" + std::to_string(std::random_device{}()) + "-" +
             std::to_string(::getpid()));
    std::filesystem::create_directories(root_);
  }
  ~ClusterAuditTest() override { std::filesystem::remove_all(root_); }

  // Opens (or reopens) node `id`'s log in the shared directory with its own key.
  std::unique_ptr<AuditLog> OpenNode(const std::string& id) {
    auto& pkcs8 = keys_[id];
    if (pkcs8.empty()) {
      auto key = crypto::P384SigningKey::Generate();
      EXPECT_TRUE(key.ok());
      pkcs8 = std::move((*key)->Pkcs8()).value();
      std::filesystem::create_directories(root_ / id);
      std::ofstream(root_ / id / kPublicKeyFile) << crypto::PublicKeyPem((*key)->PublicKeyDer());
    }
    AuditLogOptions options;
    options.dir = root_ / id;
    options.node_id = id;
    options.digest_interval = std::chrono::seconds(0);
    auto key = crypto::P384SigningKey::FromPkcs8(pkcs8.view());
    EXPECT_TRUE(key.ok());
    auto log = AuditLog::Open(options, std::move(*key), clock_);
    EXPECT_TRUE(log.ok()) << log.status().ToString();
    return log.ok() ? std::move(*log) : nullptr;
  }

  // Appends one management event per (node, second offset), each node's in
  // the order given, then closes every log (a final signed digest each).
  void WriteEvents(const std::vector<std::pair<std::string, int>>& events) {
    std::map<std::string, std::unique_ptr<AuditLog>> logs;
    for (const auto& [node, offset] : events) {
      auto& log = logs[node];
      if (!log) log = OpenNode(node);
      const json event = {{"eventID", node + "@" + std::to_string(offset)},
                          {"eventName", "Encrypt"},
                          {"eventSource", "kms.amazonaws.com"},
                          {"eventTime", IsoTime(kT0 + std::chrono::seconds(offset))},
                          {"managementEvent", true},
                          {"n", ++written_},
                          {"recipientAccountId", kAccount},
                          {std::string(kNodeIdMember), node}};
      log->Append(event.dump());
    }
    for (auto& [node, log] : logs) log->Close();
  }

  json Lookup(const json& request) {
    auto r = LookupEvents(ListNodeDirs(root_), kAccount, request, kT0 + std::chrono::hours(1));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : json();
  }
  static std::vector<std::string> Ids(const json& response) { return test_util::EventIds(response); }
  // Every page of MaxResults `page`, concatenated.
  std::vector<std::string> AllPages(int page) {
    std::vector<std::string> ids;
    json request = {{"MaxResults", page}};
    for (int guard = 0; guard < 100; ++guard) {
      const json r = Lookup(request);
      for (const auto& id : Ids(r)) ids.push_back(id);
      if (!r.contains("NextToken")) break;
      request["NextToken"] = r["NextToken"];
    }
    return ids;
  }

  Bytes PublicDer(const std::string& id) {
    auto key = crypto::P384SigningKey::FromPkcs8(keys_[id].view());
    EXPECT_TRUE(key.ok());
    return (*key)->PublicKeyDer();
  }

  ClusterVerifyReport VerifyAll(std::optional<std::vector<RegisteredNode>> registered = std::nullopt) {
    ClusterVerifyOptions options;
    options.shared_dir = root_;
    options.registered = std::move(registered);
    auto report = VerifyCluster(options);
    EXPECT_TRUE(report.ok()) << report.status().ToString();
    return report.ok() ? *report : ClusterVerifyReport{};
  }
  static const NodeVerifyResult& Node(const ClusterVerifyReport& report, const std::string& id) {
    for (const auto& n : report.nodes) {
      if (n.node_id == id) return n;
    }
    static const NodeVerifyResult kMissing;
    ADD_FAILURE() << "node " << id << " not in the report";
    return kMissing;
  }
  std::vector<RegisteredNode> Register(store::Store& store, const std::vector<std::string>& ids) {
    for (const auto& id : ids) EXPECT_TRUE(RegisterNode(store, id, PublicDer(id), kT0).ok());
    auto nodes = ListRegisteredNodes(store);
    EXPECT_TRUE(nodes.ok());
    return nodes.ok() ? *nodes : std::vector<RegisteredNode>{};
  }

  FakeClock clock_;
  std::filesystem::path root_;
  std::map<std::string, SecretBytes> keys_;
  int written_ = 0;  // events written so far, as each event's "n"
};

TEST(NodeId, AcceptsOnlyNamesSafeAsADirectoryAndInJson) {
  EXPECT_TRUE(IsValidNodeId("node-a"));
  EXPECT_TRUE(IsValidNodeId("n1.eu_west"));
  EXPECT_TRUE(IsValidNodeId(std::string(64, 'a')));
  EXPECT_FALSE(IsValidNodeId(""));
  EXPECT_FALSE(IsValidNodeId(std::string(65, 'a')));
  EXPECT_FALSE(IsValidNodeId("."));
  EXPECT_FALSE(IsValidNodeId(".."));
  EXPECT_FALSE(IsValidNodeId("a/b"));
  EXPECT_FALSE(IsValidNodeId("a b"));
  EXPECT_FALSE(IsValidNodeId("a:b"));
  EXPECT_FALSE(IsValidNodeId("a\"b"));
}

TEST(NodeIdInRecords, EventsAndDigestsNameTheirNode) {
  server::RequestTrace trace;
  trace.operation = "ListKeys";
  trace.caller.account_id = kAccount;
  trace.time = kT0;
  EXPECT_EQ(json::parse(BuildApiEvent(trace, "id", "us-east-1", "node-a"))[std::string(kNodeIdMember)],
            "node-a");
  EXPECT_FALSE(json::parse(BuildApiEvent(trace, "id", "us-east-1")).contains(std::string(kNodeIdMember)));
  ServiceAction action{"RotateKey", "kms", "us-east-1", kAccount, "arn:aws:kms:us-east-1:1:key/k", kT0};
  EXPECT_EQ(json::parse(BuildServiceEvent(action, "id", "node-b"))[std::string(kNodeIdMember)], "node-b");

  Digest d;
  d.node_id = "node-a";
  auto parsed = ParseDigest(FormatDigest(d));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->node_id, "node-a");
  EXPECT_NE(DigestSignedText(d).find("\"nodeId\":\"node-a\""), std::string::npos);  // signed with the rest
  d.node_id.clear();
  EXPECT_EQ(DigestSignedText(d).find("nodeId"), std::string::npos);  // single-node digests unchanged
}

TEST_F(ClusterAuditTest, ListsOnlySubdirectoriesNamedLikeNodes) {
  std::filesystem::create_directories(root_ / "node-b");
  std::filesystem::create_directories(root_ / "node-a");
  std::filesystem::create_directories(root_ / ".hidden");
  std::filesystem::create_directories(root_ / "not a node");
  std::ofstream(root_ / "file-not-dir") << "x";
  const auto nodes = ListNodeDirs(root_);
  ASSERT_EQ(nodes.size(), 2U);
  EXPECT_EQ(nodes[0].node_id, "node-a");
  EXPECT_EQ(nodes[1].node_id, "node-b");
  EXPECT_TRUE(ListNodeDirs(root_ / "absent").empty());
}

TEST_F(ClusterAuditTest, ASecondWriterOnOneChainIsRefused) {
  auto first = OpenNode("node-a");
  ASSERT_NE(first, nullptr);
  AuditLogOptions options;
  options.dir = root_ / "node-a";
  auto key = crypto::P384SigningKey::Generate();
  ASSERT_TRUE(key.ok());
  auto second = AuditLog::Open(options, std::move(*key), clock_);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), ErrorCode::kConflict);
  EXPECT_NE(second.status().message().find("in use by another process"), std::string::npos);
  first->Close();
  first.reset();
  EXPECT_NE(OpenNode("node-a"), nullptr);  // the lock went with the first writer
}

TEST_F(ClusterAuditTest, LookupMergesNodesNewestFirstTiesByNodeThenSeq) {
  // node-b's events interleave node-a's; second 5 has one event on each node
  // and two on node-a.
  WriteEvents({{"node-a", 1}, {"node-b", 2}, {"node-a", 3}, {"node-b", 5}, {"node-a", 5}, {"node-a", 6}});
  WriteEvents({{"node-a", 5}});  // seq 5 of node-a, same second as its seq 4
  EXPECT_EQ(Ids(Lookup(json::object())),
            (std::vector<std::string>{"node-a@6", "node-b@5", "node-a@5", "node-a@5", "node-a@3", "node-b@2",
                                      "node-a@1"}));
  const json r = Lookup(json::object());
  // Ties in the same second: node-b before node-a, then node-a's higher seq
  // (written later, n 7) before its lower one (n 5).
  EXPECT_EQ(json::parse(r["Events"][2]["CloudTrailEvent"].get<std::string>())["n"], 7);
  EXPECT_EQ(json::parse(r["Events"][3]["CloudTrailEvent"].get<std::string>())["n"], 5);
}

TEST_F(ClusterAuditTest, NextTokenPagesAcrossNodesWithoutRepeatsOrGaps) {
  WriteEvents({{"node-a", 1},
               {"node-b", 1},
               {"node-c", 1},
               {"node-a", 2},
               {"node-c", 3},
               {"node-b", 4},
               {"node-a", 4},
               {"node-b", 6}});
  const std::vector<std::string> whole = Ids(Lookup(json::object()));
  ASSERT_EQ(whole.size(), 8U);
  for (int page = 1; page <= 8; ++page) EXPECT_EQ(AllPages(page), whole) << "MaxResults " << page;
}

TEST_F(ClusterAuditTest, EventsWrittenBetweenPagesDoNotShiftTheRest) {
  WriteEvents({{"node-a", 1}, {"node-b", 2}, {"node-a", 3}, {"node-b", 4}});
  const json first = Lookup({{"MaxResults", 2}});
  EXPECT_EQ(Ids(first), (std::vector<std::string>{"node-b@4", "node-a@3"}));
  WriteEvents({{"node-c", 9}, {"node-a", 10}});  // newer events on a new and an old node
  const json second = Lookup({{"MaxResults", 2}, {"NextToken", first["NextToken"]}});
  EXPECT_EQ(Ids(second), (std::vector<std::string>{"node-b@2", "node-a@1"}));
  EXPECT_FALSE(second.contains("NextToken"));
}

TEST_F(ClusterAuditTest, ALineStillBeingWrittenIsNotShown) {
  WriteEvents({{"node-a", 1}});
  std::ofstream(root_ / "node-a" / kEventsFile, std::ios::app)
      << R"({"event":{"eventID":"torn","eventTime":"2027-01-15T08:00:02Z","recipientAccountId":"111122223333"})";
  EXPECT_EQ(Ids(Lookup(json::object())), (std::vector<std::string>{"node-a@1"}));
}

TEST_F(ClusterAuditTest, RejectsAForgedOrOldNextToken) {
  WriteEvents({{"node-a", 1}});
  for (const std::string& token :
       {Base64Encode(AsBytes(std::string("coffer-lookup-v1:5"))),
        Base64Encode(AsBytes(std::string("coffer-lookup-v2:1800000001:1:bad node"))),
        Base64Encode(AsBytes(std::string("coffer-lookup-v2:x:1:node-a"))),
        Base64Encode(AsBytes(std::string("coffer-lookup-v2:1800000001:-1:node-a"))),
        Base64Encode(AsBytes(std::string("coffer-lookup-v2:1800000001"))), std::string("!!!")}) {
    auto r = LookupEvents(ListNodeDirs(root_), kAccount, {{"NextToken", token}}, kT0 + std::chrono::hours(1));
    ASSERT_FALSE(r.ok()) << token;
    EXPECT_EQ(r.status().code(), ErrorCode::kInvalidNextToken) << token;
  }
}

TEST_F(ClusterAuditTest, VerifyPassesForEveryIntactChain) {
  WriteEvents({{"node-a", 1}, {"node-b", 2}, {"node-a", 3}});
  auto store = store::NewMemoryStore();
  const ClusterVerifyReport report = VerifyAll(Register(*store, {"node-a", "node-b"}));
  EXPECT_TRUE(report.ok()) << report.ToJson().dump(2);
  ASSERT_EQ(report.nodes.size(), 2U);
  EXPECT_EQ(Node(report, "node-a").report->records, 2U);
  EXPECT_EQ(Node(report, "node-a").key_source, "store");
  EXPECT_EQ(Node(report, "node-b").report->digests, 1U);
  EXPECT_TRUE(VerifyAll().ok());  // against the keys beside the chains
  EXPECT_EQ(Node(VerifyAll(), "node-b").key_source, "directory");
}

TEST_F(ClusterAuditTest, VerifyNamesTheNodeWhoseChainWasTampered) {
  WriteEvents({{"node-a", 1}, {"node-b", 2}, {"node-a", 3}, {"node-b", 4}});
  auto lines = ReadLines(root_ / "node-b" / kEventsFile);
  lines[0].replace(lines[0].find("Encrypt"), 7, "Decrypt");
  WriteLines(root_ / "node-b" / kEventsFile, lines);
  const ClusterVerifyReport report = VerifyAll();
  EXPECT_FALSE(report.ok());
  EXPECT_TRUE(Node(report, "node-a").ok());
  const NodeVerifyResult& b = Node(report, "node-b");
  EXPECT_FALSE(b.ok());
  ASSERT_TRUE(b.report && b.report->first_record_problem);
  EXPECT_NE(b.report->first_record_problem->what.find("edited"), std::string::npos);
  const json j = report.ToJson();
  EXPECT_FALSE(j["valid"].get<bool>());
  EXPECT_EQ(j["nodes"][1]["nodeId"], "node-b");
  EXPECT_FALSE(j["nodes"][1]["valid"].get<bool>());
  EXPECT_TRUE(j["nodes"][0]["valid"].get<bool>());
}

TEST_F(ClusterAuditTest, VerifyReportsARegisteredNodeWhoseChainIsMissing) {
  WriteEvents({{"node-a", 1}, {"node-b", 2}});
  auto store = store::NewMemoryStore();
  const auto registered = Register(*store, {"node-a", "node-b"});
  std::filesystem::remove(root_ / "node-b" / kEventsFile);
  ClusterVerifyReport report = VerifyAll(registered);
  EXPECT_FALSE(report.ok());
  EXPECT_NE(Node(report, "node-b").error.find("no events.jsonl"), std::string::npos);
  std::filesystem::remove_all(root_ / "node-b");  // the whole directory gone: the register still knows it
  report = VerifyAll(registered);
  EXPECT_FALSE(report.ok());
  EXPECT_NE(Node(report, "node-b").error.find("chain missing"), std::string::npos);
  EXPECT_TRUE(Node(report, "node-a").ok());
}

TEST_F(ClusterAuditTest, VerifyReportsAChainTheRegisterDoesNotKnow) {
  WriteEvents({{"node-a", 1}, {"node-x", 2}});
  auto store = store::NewMemoryStore();
  const ClusterVerifyReport report = VerifyAll(Register(*store, {"node-a"}));
  EXPECT_FALSE(report.ok());
  EXPECT_NE(Node(report, "node-x").error.find("register does not know"), std::string::npos);
}

TEST_F(ClusterAuditTest, VerifyUsesTheRegisteredKeyNotTheOneBesideTheChain) {
  WriteEvents({{"node-a", 1}, {"node-b", 2}});
  auto store = store::NewMemoryStore();
  const auto registered = Register(*store, {"node-a", "node-b"});
  // node-b's chain and key replaced wholesale by someone with the directory only.
  std::filesystem::remove_all(root_ / "node-b");
  keys_.erase("node-b");
  WriteEvents({{"node-b", 2}});
  EXPECT_TRUE(VerifyAll().ok());  // consistent with itself
  const ClusterVerifyReport report = VerifyAll(registered);
  const NodeVerifyResult& b = Node(report, "node-b");
  ASSERT_TRUE(b.report && b.report->first_digest_problem);
  EXPECT_NE(b.report->first_digest_problem->what.find("signed by another key"), std::string::npos);
}

TEST_F(ClusterAuditTest, VerifyFindsChainsSwappedBetweenNodes) {
  WriteEvents({{"node-a", 1}, {"node-b", 2}});
  std::filesystem::rename(root_ / "node-a", root_ / "tmp");
  std::filesystem::rename(root_ / "node-b", root_ / "node-a");
  std::filesystem::rename(root_ / "tmp", root_ / "node-b");
  const ClusterVerifyReport report = VerifyAll();
  const NodeVerifyResult& a = Node(report, "node-a");
  ASSERT_TRUE(a.report && a.report->first_record_problem && a.report->first_digest_problem);
  EXPECT_NE(a.report->first_record_problem->what.find("record of another node (node-b)"), std::string::npos);
  EXPECT_NE(a.report->first_digest_problem->what.find("signed for another node (node-b)"), std::string::npos);
  EXPECT_FALSE(Node(report, "node-b").ok());
}

TEST_F(ClusterAuditTest, VerifyOfAnEmptyClusterIsAnError) {
  ClusterVerifyOptions options;
  options.shared_dir = root_;
  auto report = VerifyCluster(options);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), ErrorCode::kNotFound);
}

TEST_F(ClusterAuditTest, KeyLastUseSeesUsesOnOtherNodes) {
  const std::string arn = "arn:aws:kms:us-east-1:111122223333:key/k1";
  auto write_use = [&](const std::string& node, int offset, const std::string& op) {
    auto log = OpenNode(node);
    const json event = {{"eventTime", IsoTime(kT0 + std::chrono::seconds(offset))},
                        {"eventSource", "kms.amazonaws.com"},
                        {"eventName", op},
                        {"requestID", node + "-req"},
                        {"resources", json::array({{{"ARN", arn}, {"type", "AWS::KMS::Key"}}})},
                        {"eventID", node + "@" + std::to_string(offset)},
                        {std::string(kNodeIdMember), node}};
    log->Append(event.dump());
    log->Close();
  };
  write_use("node-a", 1, "Encrypt");
  write_use("node-b", 2, "Decrypt");
  KeyUsageIndex index(root_ / "node-a", kT0, root_);
  auto use = index.LastUse(arn);
  ASSERT_TRUE(use);
  EXPECT_EQ(use->operation, "Decrypt");
  EXPECT_EQ(use->event_id, "node-b@2");
  write_use("node-c", 3, "Sign");  // a node that joined after the first lookup
  EXPECT_EQ(index.LastUse(arn)->event_id, "node-c@3");
  KeyUsageIndex alone(root_ / "node-a", kT0);  // without the shared directory: this node only
  EXPECT_EQ(alone.LastUse(arn)->event_id, "node-a@1");
}

TEST_F(ClusterAuditTest, TheRegisterKeepsTheFirstKeyOfANodeId) {
  OpenNode("node-a")->Close();
  OpenNode("node-b")->Close();
  auto store = store::NewMemoryStore();
  ASSERT_TRUE(RegisterNode(*store, "node-a", PublicDer("node-a"), kT0).ok());
  ASSERT_TRUE(RegisterNode(*store, "node-a", PublicDer("node-a"), kT0 + std::chrono::hours(1)).ok());
  const Status other = RegisterNode(*store, "node-a", PublicDer("node-b"), kT0);
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.code(), ErrorCode::kConflict);
  EXPECT_NE(other.message().find("another signing key"), std::string::npos);
  auto nodes = ListRegisteredNodes(*store);
  ASSERT_TRUE(nodes.ok());
  ASSERT_EQ(nodes->size(), 1U);
  EXPECT_EQ((*nodes)[0].node_id, "node-a");
  EXPECT_EQ((*nodes)[0].registered_at, IsoTime(kT0));
  EXPECT_EQ((*nodes)[0].public_key_pem, crypto::PublicKeyPem(PublicDer("node-a")));
}

}  // namespace
}  // namespace coffer::audit
