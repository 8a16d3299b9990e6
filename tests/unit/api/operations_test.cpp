// The operations of api/operations.h against what else describes them: docs/api.yaml (read line by
// line, no YAML library), the routes of a real ApiServer, and the typed client's methods.

#include "api/operations.h"

#include <httplib.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <fstream>
#include <set>
#include <sstream>

#include "api/client.h"
#include "api/server.h"
#include "api/shell_client.h"
#include "support/test_paths.h"
#include "unit/api/running_server.h"

using namespace ppcs;
using namespace ppcs::api;
using namespace ppcs::api::fakes;

namespace {

struct DocumentedOperation {
    std::string method;  // upper case
    std::string path;
    std::string operationId;
    std::string reply;  // x-ppcs-reply
    std::string text;   // the operation's lines, for its media types
};

bool startsWith(const std::string& line, const std::string& prefix) { return line.rfind(prefix, 0) == 0; }

// The text after "key:" on a line of exactly `indent` spaces, or nullopt.
std::optional<std::string> valueAt(const std::string& line, std::size_t indent, const std::string& key) {
    std::string prefix = std::string(indent, ' ') + key + ":";
    if (!startsWith(line, prefix)) return std::nullopt;
    std::string value = line.substr(prefix.size());
    value.erase(0, value.find_first_not_of(' '));
    return value;
}

// The operations under `paths:` of a document laid out like docs/api.yaml: a path at two spaces
// ("  /v1/x:"), its methods at four ("    get:"), their fields at six.
std::vector<DocumentedOperation> readDocumentedOperations(std::istream& yaml) {
    std::vector<DocumentedOperation> found;
    std::string line, path;
    bool inPaths = false;
    while (std::getline(yaml, line)) {
        if (!line.empty() && line[0] != ' ' && line[0] != '#') {
            inPaths = line == "paths:";
            continue;
        }
        if (!inPaths) continue;
        if (startsWith(line, "  /") && line.back() == ':' && line[2] != ' ') {
            path = line.substr(2, line.size() - 3);
        } else if (line.size() > 4 && startsWith(line, "    ") && line[4] != ' ' && line.back() == ':') {
            std::string method = line.substr(4, line.size() - 5);
            std::transform(method.begin(), method.end(), method.begin(), [](unsigned char c) { return std::toupper(c); });
            found.push_back(DocumentedOperation{method, path, "", "", ""});
        } else if (!found.empty()) {
            if (auto id = valueAt(line, 6, "operationId")) found.back().operationId = *id;
            if (auto reply = valueAt(line, 6, "x-ppcs-reply")) found.back().reply = *reply;
            found.back().text += line + "\n";
        }
    }
    return found;
}

std::string replyName(Reply reply) {
    switch (reply) {
        case Reply::json:
            return "json";
        case Reply::progress:
            return "progress";
        case Reply::jobOutput:
            return "job-output";
        case Reply::upgraded:
            return "upgraded";
        case Reply::text:
            return "text";
    }
    return "?";
}

// What a successful reply of this kind must show in the document.
std::string expectedMedia(Reply reply) {
    switch (reply) {
        case Reply::json:
            return "application/json:";
        case Reply::progress:
        case Reply::jobOutput:
            return "application/x-ndjson:";
        case Reply::upgraded:
            return "'101':";
        case Reply::text:
            return "text/plain:";
    }
    return "?";
}

std::string describe(std::string_view method, std::string_view path) { return std::string(method) + " " + std::string(path); }

// Where the table and the document differ, one line each; empty when they agree.
std::vector<std::string> differences(const std::vector<OperationInfo>& table, const std::vector<DocumentedOperation>& document) {
    std::vector<std::string> found;
    for (const auto& operation : table) {
        std::string what = describe(methodName(operation.method), operation.path);
        auto match = std::find_if(document.begin(), document.end(), [&](const DocumentedOperation& documented) {
            return documented.method == methodName(operation.method) && documented.path == operation.path;
        });
        if (match == document.end()) {
            found.push_back("not documented: " + what);
            continue;
        }
        if (match->operationId != operation.name)
            found.push_back(what + ": operationId " + match->operationId + ", not " + std::string(operation.name));
        if (match->reply != replyName(operation.reply))
            found.push_back(what + ": x-ppcs-reply " + match->reply + ", not " + replyName(operation.reply));
        if (match->text.find(expectedMedia(operation.reply)) == std::string::npos)
            found.push_back(what + ": no " + expectedMedia(operation.reply) + " reply");
    }
    std::set<std::string> seen;
    for (const auto& documented : document) {
        std::string what = describe(documented.method, documented.path);
        if (!seen.insert(what).second) found.push_back("documented twice: " + what);
        bool inTable = std::any_of(table.begin(), table.end(), [&](const OperationInfo& operation) {
            return documented.method == methodName(operation.method) && documented.path == operation.path;
        });
        if (!inTable) found.push_back("not in operations.h: " + what);
    }
    return found;
}

std::vector<OperationInfo> table() { return std::vector<OperationInfo>(kOperations.begin(), kOperations.end()); }

std::set<std::string> namesOf(const std::vector<OperationInfo>& operations) {
    std::set<std::string> names;
    for (const auto& operation : operations) names.insert(describe(methodName(operation.method), operation.path));
    return names;
}

// The header's own checks refuse what they should (they hold for every declared operation, or the
// header would not compile).
constexpr Operation<ClusterName, model::ClusterStatus> kNameNotInPath{{"bad", Method::get, "/v1/clusters", Reply::json},
                                                                      wire::clusterName,
                                                                      wire::readClusterName,
                                                                      encodeClusterStatus,
                                                                      decodeClusterStatus};
static_assert(!checks::parameterMatches(kNameNotInPath));
constexpr Operation<DownRequest, model::DownReport> kBodyOnGet{{"bad", Method::get, "/v1/clusters/down", Reply::json},
                                                               wire::body<DownRequest, encodeDownRequest>,
                                                               wire::fromBody<DownRequest, decodeDownRequest>,
                                                               encodeDownReport,
                                                               decodeDownReport};
static_assert(!checks::parameterMatches(kBodyOnGet));
static_assert(checks::parameterMatches(kClusterStatus) && checks::parameterMatches(kOpenShell));
static_assert(!checks::wellFormed(OperationInfo{"bad", Method::get, "/v2/version", Reply::json}));
static_assert(!checks::wellFormed(OperationInfo{"bad", Method::get, "/v1/clusters/{name}/{node}", Reply::json}));
static_assert(!checks::wellFormed(OperationInfo{"bad", Method::get, "/v1/clusters/{name", Reply::json}));
static_assert(!checks::wellFormed(OperationInfo{"bad", Method::get, "/v1/clusters/up", Reply::progress}));
static_assert(checks::wellFormed(OperationInfo{"good", Method::get, "/v1/clusters/{name}/ips", Reply::json}));
// Only a text reply (a scrape target: GET, no parameter) may live outside /v1/.
static_assert(checks::wellFormed(kMetrics));
static_assert(!checks::wellFormed(OperationInfo{"bad", Method::get, "/metrics", Reply::json}));
static_assert(!checks::wellFormed(OperationInfo{"bad", Method::post, "/metrics", Reply::text}));
static_assert(!checks::wellFormed(OperationInfo{"bad", Method::get, "/metrics/{name}", Reply::text}));

}  // namespace

TEST_CASE("docs/api.yaml describes every operation of operations.h and no other", "[api][operations]") {
    std::ifstream yaml(testing::sourceDir() + "/docs/api.yaml");
    REQUIRE(yaml);
    auto documented = readDocumentedOperations(yaml);
    CHECK(documented.size() == kOperations.size());
    auto found = differences(table(), documented);
    for (const auto& difference : found) UNSCOPED_INFO(difference);
    CHECK(found.empty());
}

TEST_CASE("the document check names a missing, an extra, a mismatched and a repeated operation", "[api][operations]") {
    std::istringstream yaml(R"(openapi: 3.0.3
paths:
  /v1/version:
    get:
      operationId: version
      x-ppcs-reply: json
      responses:
        '200':
          content:
            application/json:
              schema:
                type: object
  /v1/daemon:
    post:
      operationId: daemonStatus
      x-ppcs-reply: json
  /v1/clusters/up:
    post:
      operationId: upCluster
      x-ppcs-reply: json
      responses:
        '200':
          content:
            application/json:
  /v1/jobs/{id}:
    get:
      operationId: jobLog
      x-ppcs-reply: json
    get:
      operationId: jobLog
      x-ppcs-reply: json
components:
  schemas:
    /v1/ignored:
      get:
)");
    auto documented = readDocumentedOperations(yaml);
    REQUIRE(documented.size() == 5);
    CHECK(documented[0].method == "GET");
    CHECK(documented[0].path == "/v1/version");
    std::vector<OperationInfo> some{kVersion, kDaemonStatus, kUpCluster, kJobLog, kListHosts};
    auto found = differences(some, documented);
    std::set<std::string> said(found.begin(), found.end());
    CHECK(said == std::set<std::string>{
                      "not documented: GET /v1/daemon",
                      "not in operations.h: POST /v1/daemon",
                      "POST /v1/clusters/up: operationId upCluster, not up",
                      "POST /v1/clusters/up: x-ppcs-reply json, not progress",
                      "POST /v1/clusters/up: no application/x-ndjson: reply",
                      "GET /v1/jobs/{id}: no application/json: reply",
                      "documented twice: GET /v1/jobs/{id}",
                      "not documented: GET /v1/hosts",
                  });
}

TEST_CASE("targets and route patterns come from an operation's path", "[api][operations]") {
    CHECK(targetOf(kClusterStats.path, kClusterStats.writeRequest(ClusterName{"demo"})) == "/v1/clusters/demo/stats");
    CHECK(targetOf(kJobLog.path, kJobLog.writeRequest(JobId{42})) == "/v1/jobs/42");
    CHECK(targetOf(kListJobs.path, kListJobs.writeRequest(JobListQuery{7})) == "/v1/jobs?limit=7");
    CHECK(targetOf(kVersion.path, kVersion.writeRequest(NoRequest{})) == "/v1/version");
    model::ShellRequest shell;
    shell.cluster = "demo";
    auto wire = kOpenShell.writeRequest(shell);
    CHECK(targetOf(kOpenShell.path, wire) == "/v1/clusters/demo/shell");
    CHECK(wire.body.find("demo") == std::string::npos);  // the cluster travels in the path only
    CHECK(routePattern(kClusterStatus.path) == "/v1/clusters/([^/]+)");
    CHECK(routePattern(kJobLog.path) == "/v1/jobs/([^/]+)");
    CHECK(routePattern(kListClusters.path) == "/v1/clusters");
}

TEST_CASE("every operation has its codecs, but an upgraded one has no reply codec", "[api][operations]") {
    std::apply(
        [](const auto&... operation) {
            auto check = [](const auto& op) {
                INFO(op.name);
                CHECK(op.writeRequest != nullptr);
                CHECK(op.readRequest != nullptr);
                CHECK((op.writeResponse == nullptr) == (op.reply == Reply::upgraded));
                CHECK((op.readResponse == nullptr) == (op.reply == Reply::upgraded));
            };
            (check(operation), ...);
        },
        kTypedOperations);
}

TEST_CASE("a real ApiServer routes every operation of the table, and only those", "[api][operations]") {
    RunningServer<StubServices> running;
    CHECK(namesOf(running.server().operations()) == namesOf(table()));
    CHECK(running.server().operations().size() == kOperations.size());

    httplib::Client raw("127.0.0.1", running.port);
    for (const auto& operation : kOperations) {
        std::string what = describe(methodName(operation.method), operation.path);
        INFO(what);
        if (operation.reply == Reply::upgraded) continue;  // below
        WireRequest wire;
        wire.parameter = operation.path.find("{id}") != std::string_view::npos ? "7" : "demo";
        std::string target = targetOf(operation.path, wire);
        auto reply = operation.method == Method::get ? raw.Get(target.c_str(), running.auth())
                                                     : raw.Post(target.c_str(), running.auth(), "{}", "application/json");
        REQUIRE(reply);
        CHECK(reply->status != 404);
        CHECK(reply->body.find("no route") == std::string::npos);
    }
    model::ShellRequest shell;
    shell.cluster = "demo";
    auto opened = openShellConnection(Endpoint{running.port, 0, "good-token"}, shell, std::chrono::seconds(10));
    REQUIRE_FALSE(opened);  // the stub opens no shells: its refusal, not "no upgrade route"
    CHECK(opened.error().code == ErrorCode::unavailable);
    CHECK(opened.error().message == "this ppcsd opens no shells");

    // The same check fails for a path no operation has.
    auto unknown = raw.Get("/v1/clusters/demo/nothing", running.auth());
    REQUIRE(unknown);
    CHECK(unknown->status == 404);
    CHECK(unknown->body.find("no route GET /v1/clusters/demo/nothing") != std::string::npos);
}

namespace {

// Records what each service was asked, and answers with something the client can recognise.
class RecordingServices : public StubServices {
public:
    Result<model::DownReport> downCluster(const DownRequest& request, const model::Progress& progress) override {
        asked.push_back("down " + request.name + (request.removeVolume ? " volumes" : ""));
        progress(model::Phase::down, "removing");
        return model::DownReport{true, {"service demo_mpihead"}, {}};
    }
    Result<model::ClusterStatus> scaleCluster(const ScaleRequest& request, const model::Progress&) override {
        asked.push_back("scale " + request.name + " " + std::to_string(request.nodeCount));
        model::ClusterStatus status;
        status.name = request.name;
        status.desiredNodes = request.nodeCount;
        return status;
    }
    Result<model::ClusterStatus> clusterAddresses(const std::string& name) override {
        asked.push_back("ips " + name);
        model::ClusterStatus status;
        status.name = name;
        status.members = {model::Member{model::MemberRole::head, 0, "", "10.0.0.2"},
                          model::Member{model::MemberRole::node, 1, "", "10.0.0.3"}};
        return status;
    }
    Result<std::vector<model::MemberStats>> clusterStats(const std::string& name) override {
        asked.push_back("stats " + name);
        model::MemberStats head{model::MemberRole::head, name + "-head", "c1", {}, ""};
        head.stats.memoryBytes = 1234;
        return std::vector<model::MemberStats>{head};
    }
    Result<model::BenchReport> benchCluster(const model::BenchRequest& request, const model::Progress&) override {
        asked.push_back("bench " + request.cluster + " " + request.kind);
        model::BenchReport report;
        report.cluster = request.cluster;
        report.kind = request.kind;
        return report;
    }
    Result<std::vector<std::string>> listClusters() override {
        asked.push_back("clusters");
        return std::vector<std::string>{"demo"};
    }
    Result<std::vector<model::Host>> listHosts() override {
        asked.push_back("hosts");
        model::Host host;
        host.name = "h1";
        return std::vector<model::Host>{host};
    }
    Result<model::Host> addHost(const AddHostRequest& request) override {
        asked.push_back("add host " + request.name + " " + request.endpoint);
        model::Host host;
        host.name = request.name;
        host.endpoint = request.endpoint;
        return host;
    }
    Result<std::string> joinCommand() override {
        asked.push_back("join command");
        return std::string("docker swarm join --token T 10.0.0.1:2377");
    }
    bool cancelJob(const std::string& cluster) override {
        asked.push_back("cancel " + cluster);
        return true;
    }
    Result<bool> cancelJobById(std::int64_t id) override {
        asked.push_back("cancel job " + std::to_string(id));
        return false;
    }
    Result<std::vector<model::JobRecord>> listJobs(int limit) override {
        asked.push_back("jobs " + std::to_string(limit));
        model::JobRecord record;
        record.id = 3;
        return std::vector<model::JobRecord>{record};
    }
    Result<std::pair<model::JobRecord, std::vector<model::OutputChunk>>> jobLog(std::int64_t id) override {
        asked.push_back("log " + std::to_string(id));
        model::JobRecord record;
        record.id = id;
        return std::make_pair(record, std::vector<model::OutputChunk>{{true, "oops\n"}});
    }
    Result<model::PruneReport> pruneJobs(std::optional<int> keep) override {
        asked.push_back("prune " + (keep ? std::to_string(*keep) : std::string("default")));
        return model::PruneReport{5, keep.value_or(1000)};
    }
    Result<std::string> metrics() override {
        asked.push_back("metrics");
        return std::string("# HELP ppcs_clusters c\n# TYPE ppcs_clusters gauge\nppcs_clusters 2\n");
    }
    std::vector<std::string> asked;
};

}  // namespace

TEST_CASE("each client method reaches its service through its operation and reads the reply back", "[api][operations]") {
    RunningServer<RecordingServices> running;
    auto client = running.client();
    std::vector<std::string> progress;
    auto seeProgress = [&progress](model::Phase phase, const std::string& text) {
        progress.push_back(std::string(model::phaseName(phase)) + " " + text);
    };

    auto down = client.down(DownRequest{"demo", true}, seeProgress);
    REQUIRE(down);
    CHECK(down->existed);
    CHECK(down->removed == std::vector<std::string>{"service demo_mpihead"});
    CHECK(progress == std::vector<std::string>{"down removing"});
    auto scaled = client.scale(ScaleRequest{"demo", 3}, seeProgress);
    REQUIRE(scaled);
    CHECK(scaled->desiredNodes == 3);
    auto addresses = client.clusterAddresses("demo");
    REQUIRE(addresses);
    REQUIRE(addresses->members.size() == 2);
    CHECK(addresses->members[1].address == "10.0.0.3");
    auto stats = client.clusterStats("demo");
    REQUIRE(stats);
    REQUIRE(stats->size() == 1);
    CHECK(stats->at(0).hostname == "demo-head");
    CHECK(stats->at(0).stats.memoryBytes == 1234);
    model::BenchRequest bench;
    bench.cluster = "demo";
    bench.kind = "latency";
    auto report = client.bench(bench, seeProgress);
    REQUIRE(report);
    CHECK(report->kind == "latency");
    CHECK(client.listClusters().value() == std::vector<std::string>{"demo"});
    CHECK(client.listHosts()->at(0).name == "h1");
    CHECK(client.addHost(AddHostRequest{"h2", "tcp://10.0.0.9:2376", "/etc/ppcs/tls", false})->endpoint == "tcp://10.0.0.9:2376");
    CHECK(client.joinCommand().value() == "docker swarm join --token T 10.0.0.1:2377");
    CHECK(client.cancelJob("demo").value());
    CHECK_FALSE(client.cancelJobById(9).value());
    CHECK(client.listJobs(7)->at(0).id == 3);
    auto log = client.jobLog(12);
    REQUIRE(log);
    CHECK(log->first.id == 12);
    CHECK(log->second.at(0).data == "oops\n");
    CHECK(client.pruneJobs(4)->removed == 5);
    CHECK(client.pruneJobs(std::nullopt)->keep == 1000);
    CHECK(client.metrics().value() == "# HELP ppcs_clusters c\n# TYPE ppcs_clusters gauge\nppcs_clusters 2\n");

    CHECK(running.services.asked ==
          std::vector<std::string>{"down demo volumes", "scale demo 3", "ips demo", "stats demo", "bench demo latency",
                                   "clusters", "hosts", "add host h2 tcp://10.0.0.9:2376", "join command", "cancel demo",
                                   "cancel job 9", "jobs 7", "log 12", "prune 4", "prune default", "metrics"});
}
