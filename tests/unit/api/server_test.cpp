// A real ApiClient against a real in-process ApiServer on a free loopback port, with the
// daemon's services faked.

#include "api/server.h"

#include <httplib.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <thread>

#include "api/client.h"
#include "common/files.h"
#include "common/strings.h"
#include "support/test_paths.h"
#include "unit/api/running_server.h"

using namespace ppcs;
using namespace ppcs::api;

namespace {

class FakeServices final : public DaemonServices {
public:
    DaemonStatus status() override {
        DaemonStatus status;
        status.pid = 42;
        status.version = "test";
        status.imageContextDir = "/usr/share/ppcs/images/openmpi";
        status.engine.reachable = false;
        status.engine.error = "cannot reach the docker engine";
        return status;
    }
    Result<model::BuildOutcome> buildImage(const model::BuildRequest& request, const model::BuildProgress& progress) override {
        lastRequest = request;
        for (int step = 1; step <= 3; ++step) progress(model::Phase::build, "Step " + std::to_string(step) + "/3");
        if (request.noCache) return makeError(ErrorCode::unavailable, "debootstrap is not installed");
        model::BuildOutcome outcome;
        outcome.imageId = "sha256:built";
        outcome.imageRef = request.imageRef;
        outcome.reused = false;
        return outcome;
    }
    Result<model::ClusterStatus> upCluster(const UpRequest& request, const model::Progress& progress) override {
        progress(model::Phase::tasks, "1/1 nodes running");
        model::ClusterStatus status;
        status.name = request.spec.name;
        status.desiredNodes = request.spec.nodeCount;
        status.members = {model::Member{model::MemberRole::head, 0, "c-head", "10.128.0.2", "running", "", "id", "n", 2, true}};
        return status;
    }
    Result<model::ClusterStatus> scaleCluster(const ScaleRequest& request, const model::Progress&) override {
        scaleAsked.push_back(request.name);
        return makeError(ErrorCode::conflict, "a job is running");
    }
    Result<model::DownReport> downCluster(const DownRequest&, const model::Progress&) override { return model::DownReport{}; }
    Result<model::ClusterStatus> clusterAddresses(const std::string& name) override { return clusterStatus(name); }
    Result<model::ClusterStatus> clusterStatus(const std::string& name) override {
        statusAsked.push_back(name);
        return makeError(ErrorCode::notFound, "cluster '" + name + "' does not exist");
    }
    Result<std::vector<std::string>> listClusters() override { return std::vector<std::string>{"a", "b"}; }
    Result<std::vector<model::Host>> listHosts() override {
        model::Host host;
        host.name = "h1";
        host.role = "manager";
        host.local = true;
        host.image = "present";
        return std::vector<model::Host>{host};
    }
    Result<model::Host> addHost(const AddHostRequest& request) override {
        addedHosts.push_back(request);
        model::Host host;
        host.name = request.name;
        host.endpoint = request.endpoint;
        return host;
    }
    Result<std::string> joinCommand() override { return std::string("docker swarm join --token T 10.0.0.1:2377"); }
    std::vector<AddHostRequest> addedHosts;
    Result<model::BenchReport> benchCluster(const model::BenchRequest&, const model::Progress&) override {
        return makeError(ErrorCode::unavailable, "not in this fake");
    }
    Result<std::vector<model::MemberStats>> clusterStats(const std::string& name) override {
        statusAsked.push_back(name);
        return makeError(ErrorCode::usage, "cluster '" + name + "' does not exist");
    }
    Result<model::JobOutcome> runJob(const model::JobRequest& request, const model::Progress& events,
                                     const std::function<bool()>&) override {
        lastJob = request;
        events(model::Phase::jobId, "7");
        events(model::Phase::standardOutput, "out-1\n");
        events(model::Phase::standardError, std::string("bad-utf8-\xff\n"));
        events(model::Phase::standardOutput, "out-2\n");
        return model::JobOutcome{7, 3, model::JobState::failed, "", 0.5};
    }
    bool cancelJob(const std::string& cluster) override {
        cancelAsked.push_back(cluster);
        return cluster == "busy";
    }
    Result<bool> cancelJobById(std::int64_t id) override {
        cancelAsked.push_back("#" + std::to_string(id));
        if (id > 100) return makeError(ErrorCode::usage, "no job " + std::to_string(id));
        return id == 7;
    }
    std::vector<std::string> cancelAsked;
    Result<std::vector<model::JobRecord>> listJobs(int limit) override {
        model::JobRecord record;
        record.id = limit;
        record.program = "hello_world";
        return std::vector<model::JobRecord>{record};
    }
    Result<std::pair<model::JobRecord, std::vector<model::OutputChunk>>> jobLog(std::int64_t id) override {
        return makeError(ErrorCode::notFound, "no job " + std::to_string(id));
    }
    Result<model::PruneReport> pruneJobs(std::optional<int> keep) override {
        pruneAsked.push_back(keep.value_or(-1));
        return model::PruneReport{3, keep.value_or(1000)};
    }
    std::vector<int> pruneAsked;
    Result<model::CopyReport> copyFiles(const model::CopyRequest& request, const model::Progress& progress,
                                        const std::function<bool()>&) override {
        lastCopy = request;
        progress(model::Phase::copy, "copying");
        model::CopyReport report{request.localPath, request.remotePath, {2, 1, 10, 0}, 1};
        return report;
    }
    model::CopyRequest lastCopy;
    model::JobRequest lastJob;
    void requestStop() override { stopRequested = true; }

    model::BuildRequest lastRequest;
    std::vector<std::string> statusAsked;
    std::vector<std::string> scaleAsked;
    std::atomic<bool> stopRequested{false};
};

using RunningServer = fakes::RunningServer<FakeServices>;

}  // namespace

TEST_CASE("requests without the right bearer token get 401", "[api]") {
    RunningServer running;
    CHECK(running.client().version()->version == PPCS_VERSION);
    auto wrong = running.client("bad-token").version();
    REQUIRE_FALSE(wrong);
    CHECK(wrong.error().code == ErrorCode::unauthorized);
    httplib::Client raw("127.0.0.1", running.port);
    auto none = raw.Get("/v1/daemon");
    REQUIRE(none);
    CHECK(none->status == 401);
    CHECK(none->body.find("\"unauthorized\"") != std::string::npos);
    auto stop = raw.Post("/v1/daemon/stop", "{}", "application/json");
    REQUIRE(stop);
    CHECK(stop->status == 401);
    CHECK_FALSE(running.services.stopRequested);
}

TEST_CASE("build progress streams to the client in order, then the outcome", "[api]") {
    RunningServer running;
    std::vector<std::string> seen;
    model::BuildRequest request;
    request.imageRef = "ppcs-test:unit";
    auto outcome = running.client().build(request, [&seen](model::Phase phase, const std::string& text) {
        seen.push_back(std::string(model::phaseName(phase)) + " " + text);
    });
    REQUIRE(outcome);
    CHECK(outcome->imageId == "sha256:built");
    CHECK(seen == std::vector<std::string>{"build Step 1/3", "build Step 2/3", "build Step 3/3"});
    CHECK(running.services.lastRequest.imageRef == "ppcs-test:unit");
}

TEST_CASE("a failed build arrives as the daemon's error, code and message", "[api]") {
    RunningServer running;
    model::BuildRequest request;
    request.noCache = true;
    auto outcome = running.client().build(request, [](model::Phase, const std::string&) {});
    REQUIRE_FALSE(outcome);
    CHECK(outcome.error().code == ErrorCode::unavailable);
    CHECK(outcome.error().message == "debootstrap is not installed");
}

TEST_CASE("bad requests get 400-class answers and reach no service", "[api]") {
    RunningServer running;
    httplib::Client raw("127.0.0.1", running.port);
    httplib::Headers auth{{"Authorization", "Bearer good-token"}};
    struct Case {
        std::string body;
        int status;
        std::string says;
    };
    std::vector<Case> cases{
        {"{not json", 400, "not a JSON object"},
        {"[]", 400, "not a JSON object"},
        {R"({"no_cache":"yes"})", 400, "wrong type"},
        {R"({"image":"Bad Name"})", 400, "not an image reference"},
        {R"({"context_dir":"../../etc"})", 400, "absolute path"},
        {R"({"mirror":"file:///etc"})", 400, "http://"},
        {R"({"surprise":1})", 400, "unknown field"},
        {std::string(200 * 1024, ' '), 413, "request body over"},
    };
    for (const auto& c : cases) {
        INFO(c.body.substr(0, 40));
        auto reply = raw.Post("/v1/images/build", auth, c.body, "application/json");
        REQUIRE(reply);
        CHECK(reply->status == c.status);
        CHECK(reply->body.find(c.says) != std::string::npos);
    }
    auto unknown = raw.Get("/v1/nothing-here", auth);
    REQUIRE(unknown);
    CHECK(unknown->status == 404);
    CHECK(running.services.lastRequest.imageRef == model::kDefaultImageRef);
}

TEST_CASE("status and stop go through the services", "[api]") {
    RunningServer running;
    auto status = running.client().status();
    REQUIRE(status);
    CHECK(status->pid == 42);
    CHECK(status->imageContextDir == "/usr/share/ppcs/images/openmpi");
    CHECK_FALSE(status->engine.reachable);
    CHECK(status->engine.error == "cannot reach the docker engine");
    REQUIRE(running.client().stop());
    CHECK(running.services.stopRequested);
}

TEST_CASE("a daemon that is not there is reported as unavailable", "[api]") {
    int freePort;
    {
        RunningServer gone;
        freePort = gone.port;
    }
    auto version = ApiClient(Endpoint{freePort, 0, "t"}).version();
    REQUIRE_FALSE(version);
    CHECK(version.error().code == ErrorCode::unavailable);
}

TEST_CASE("API messages round-trip", "[api]") {
    StreamEvent event;
    event.kind = StreamEvent::Kind::error;
    event.error = makeError(ErrorCode::timeout, "took too long");
    auto decoded = decodeStreamEvent(encodeStreamEvent(event));
    REQUIRE(decoded);
    CHECK(decoded->kind == StreamEvent::Kind::error);
    CHECK(decoded->error.code == ErrorCode::timeout);
    CHECK(decodeError(encodeError(makeError(ErrorCode::conflict, "busy")), 409).message == "busy");
    CHECK(decodeError("<html>", 502).code == ErrorCode::failed);
    CHECK(httpStatusFor(ErrorCode::usage) == 400);
    CHECK(errorCodeForHttpStatus(504) == ErrorCode::timeout);
}

TEST_CASE("cluster routes stream their result and pass errors through", "[api]") {
    RunningServer running;
    std::vector<std::string> seen;
    auto status = running.client().up(UpRequest{{"demo", 3, 0}, 60}, [&seen](model::Phase phase, const std::string& text) {
        seen.push_back(std::string(model::phaseName(phase)) + ": " + text);
    });
    REQUIRE(status);
    CHECK(seen == std::vector<std::string>{"tasks: 1/1 nodes running"});
    CHECK(status->name == "demo");
    REQUIRE(status->members.size() == 1);
    CHECK(status->members[0].address == "10.128.0.2");
    CHECK(status->members[0].ready);
    auto scaled = running.client().scale(ScaleRequest{"demo", 2, 60}, [](model::Phase, const std::string&) {});
    REQUIRE_FALSE(scaled);
    CHECK(scaled.error().code == ErrorCode::conflict);
    auto missing = running.client().clusterStatus("nothere");
    REQUIRE_FALSE(missing);
    CHECK(missing.error().code == ErrorCode::notFound);
    CHECK(*running.client().listClusters() == std::vector<std::string>{"a", "b"});
    httplib::Client raw("127.0.0.1", running.port);
    auto traversal = raw.Get("/v1/clusters/..%2F..%2Fetc", httplib::Headers{{"Authorization", "Bearer good-token"}});
    REQUIRE(traversal);
    CHECK(traversal->status / 100 == 4);
    auto badName = raw.Get("/v1/clusters/Bad_Name", httplib::Headers{{"Authorization", "Bearer good-token"}});
    REQUIRE(badName);
    CHECK(badName->status == 400);
    CHECK(running.services.statusAsked == std::vector<std::string>{"nothere"});
}

TEST_CASE("job output streams apart by stream, and the outcome carries the exit code", "[api]") {
    RunningServer running;
    std::string out, err, id;
    model::JobRequest request;
    request.program = "hello_world";
    request.args = {"a b", "it's", ";", "$(x)"};
    request.env = {"GREETING=hello world", "Q=\"$HOME\" 'x'"};
    request.workdir = "out";
    auto outcome = running.client().run(request, [&](model::Phase phase, const std::string& text) {
        if (phase == model::Phase::standardOutput) out += text;
        if (phase == model::Phase::standardError) err += text;
        if (phase == model::Phase::jobId) id = text;
    });
    REQUIRE(outcome);
    CHECK(outcome->exitCode == 3);
    CHECK(outcome->id == 7);
    CHECK(id == "7");
    CHECK(out == "out-1\nout-2\n");
    CHECK(err.rfind("bad-utf8-", 0) == 0);
    CHECK(running.services.lastJob.args == request.args);
    CHECK(running.services.lastJob.env == request.env);
    CHECK(running.services.lastJob.workdir == "out");
    CHECK(*running.client().cancelJob("busy"));
    CHECK_FALSE(*running.client().cancelJob("idle"));
    CHECK((*running.client().listJobs(5))[0].id == 5);
    CHECK(running.client().jobLog(99).error().code == ErrorCode::notFound);
    auto pruned = running.client().pruneJobs(5);
    REQUIRE(pruned);
    CHECK(pruned->removed == 3);
    CHECK(pruned->keep == 5);
    CHECK(running.client().pruneJobs(std::nullopt)->keep == 1000);
    CHECK(running.services.pruneAsked == std::vector<int>{5, -1});
    httplib::Client raw("127.0.0.1", running.port);
    httplib::Headers auth{{"Authorization", "Bearer good-token"}};
    CHECK(raw.Get("/v1/jobs/abc", auth)->status == 400);
    CHECK(raw.Get("/v1/jobs?limit=-4", auth)->status == 400);
    for (std::string body :
         {R"({"program":"x","np":-3})", R"({"program":"x","args":"notalist"})", R"({"program":"x","args":[1,2]})",
          R"({"program":"-rf"})", R"({"program":"x","local_path":"relative/p"})", R"({"program":"x","exe":"../../bin/sh"})",
          R"({"program":"x","cluster":"../x"})", R"({"program":"x","timeout_seconds":-1})", R"({"program":"x","env":["1A=b"]})",
          R"({"program":"x","env":"A=b"})", R"({"program":"x","env":[7]})", R"({"program":"x","workdir":"../.."})",
          R"({"program":"x","output_dir":"relative/out"})"}) {
        INFO(body);
        CHECK(raw.Post("/v1/jobs/run", auth, body, "application/json")->status == 400);
    }
}

TEST_CASE("a copy request travels with its direction and paths, and bad ones are refused before any service", "[api]") {
    RunningServer running;
    std::vector<std::string> progress;
    model::CopyRequest request{"demo", model::CopyDirection::outOfCluster, "/tmp/out dir", "jobs/7"};
    auto report = running.client().copy(request, [&](model::Phase phase, const std::string& text) {
        progress.push_back(std::string(model::phaseName(phase)) + ":" + text);
    });
    REQUIRE(report);
    CHECK(report->tally.files == 2);
    CHECK(report->tally.bytes == 10);
    CHECK(report->remotePath == "jobs/7");
    CHECK(running.services.lastCopy.direction == model::CopyDirection::outOfCluster);
    CHECK(running.services.lastCopy.localPath == "/tmp/out dir");
    CHECK(progress == std::vector<std::string>{"copy:copying"});
    running.services.lastCopy = {};
    httplib::Client raw("127.0.0.1", running.port);
    httplib::Headers auth{{"Authorization", "Bearer good-token"}};
    for (std::string body : {R"({"direction":"sideways","local_path":"/tmp/x","remote_path":"a"})",
                             R"({"direction":"in","local_path":"rel","remote_path":"a"})",
                             R"({"direction":"in","local_path":"/tmp/x","remote_path":"../etc"})",
                             R"({"direction":"in","local_path":"/tmp/x","remote_path":"/etc"})",
                             R"({"direction":"in","local_path":"/tmp/x","remote_path":"a","extra":1})",
                             R"({"direction":"out","local_path":"/tmp/x","cluster":"../x"})"}) {
        INFO(body);
        CHECK(raw.Post("/v1/files/copy", auth, body, "application/json")->status == 400);
    }
    CHECK(running.services.lastCopy.localPath.empty());
}

TEST_CASE("replies with unexpected types are errors, never exceptions", "[api]") {
    // Found by fuzz_api_requests: nlohmann's value() throws when a key holds another type.
    CHECK_FALSE(decodeStreamEvent(R"({"type":true})"));
    CHECK(decodeStreamEvent(R"({"type":"progress","phase":7,"text":["x"]})")->phase == model::Phase::other);
    CHECK(decodeError(R"({"error":{"code":5,"message":{"a":1}}})", 409).code == ErrorCode::conflict);
    CHECK(decodeClusterStatus(R"({"name":1,"members":[{"slot":"x","ready":"yes"},7]})")->members.size() == 1);
    CHECK_FALSE(decodeJobOutcome(R"({"job_id":"7","exit_code":1e400})"));  // not JSON at all: refused
    auto outcome = decodeJobOutcome(R"({"job_id":"7","exit_code":1.5})");
    REQUIRE(outcome);
    CHECK(outcome->id == 0);
    CHECK(outcome->exitCode == 0);
    CHECK(decodeDaemonStatus(R"({"engine":{"reachable":"yes","endpoint":3}})")->engine.endpoint.empty());
}

TEST_CASE("the hostile request corpus gets 400-class answers and reaches no service", "[api]") {
    RunningServer running;
    httplib::Client raw("127.0.0.1", running.port);
    httplib::Headers auth{{"Authorization", "Bearer good-token"}};
    auto corpus = readFile(ppcs::testing::dataFile("hostile/api_requests.txt"));
    REQUIRE(corpus);
    int checked = 0;
    for (const auto& line : split(*corpus, '\n')) {
        if (line.empty() || line[0] == '#') continue;
        auto fields = split(line, '\t');
        REQUIRE(fields.size() >= 2);
        auto head = split(fields[0], ' ');
        std::string body = fields[1];
        if (body == "HUGE") body = std::string(200 * 1024, ' ');
        INFO(line.substr(0, 80));
        httplib::Result reply = head[0] == "GET"    ? raw.Get(head[1].c_str(), auth)
                                : head[0] == "POST" ? raw.Post(head[1].c_str(), auth, body, "application/json")
                                                    : raw.Delete(head[1].c_str(), auth);
        REQUIRE(reply);
        CHECK(reply->status / 100 == 4);
        CHECK(reply->body.find("\"error\"") != std::string::npos);
        if (fields.size() > 2) {
            CHECK(reply->status == 400);
            CHECK_THAT(decodeError(reply->body, reply->status).message, Catch::Contains(fields[2]));
        }
        ++checked;
    }
    CHECK(checked > 35);
    CHECK(running.services.lastRequest.imageRef == model::kDefaultImageRef);  // no build reached the service
    CHECK(running.services.lastJob.program.empty());                          // no run either
    CHECK(running.services.statusAsked.empty());
    CHECK(running.services.cancelAsked.empty());
    CHECK(running.services.scaleAsked.empty());
    CHECK(running.services.pruneAsked.empty());
}
