// The job queue end to end on a real cluster: jobs that take the whole cluster, submitted at once,
// run one after another in order, each recorded with its exit code and output; `queue --json`
// positions; `wait` returns a job's exit code; `logs -f` streams a running job's lines as they are
// printed; `cancel` of a queued and of a running job; jobs that fit side by side run at once on
// disjoint members, and cancelling one leaves the other running; a `run` behind a running job
// waits its turn instead of being refused; queued jobs survive ppcsd's SIGKILL; `--retry 1` with a
// node killed mid-job.

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "common/files.h"
#include "common/strings.h"
#include "integration/cluster_fixture.h"
#include "integration/support.h"
#include "support/run_process.h"
#include "support/test_paths.h"

using namespace ppcs;
using namespace ppcs::integration;
using nlohmann::json;

namespace {

// `submit --name C ARGS...`: the job id it printed.
std::string submit(const ClusterFixture& fixture, std::vector<std::string> args) {
    args.insert(args.begin(), {"submit", "--name", fixture.cluster()});
    auto submitted = fixture.cli(args);
    INFO("submit: " << submitted.err);
    REQUIRE(submitted.exitCode == 0);
    std::string id(trim(submitted.out));
    REQUIRE(!id.empty());
    REQUIRE(id.find_first_not_of("0123456789") == std::string::npos);
    return id;
}

json queueOf(const ClusterFixture& fixture) {
    auto listed = fixture.cli({"--json", "queue", "--name", fixture.cluster()});
    REQUIRE(listed.exitCode == 0);
    return json::parse(listed.out)["jobs"];
}

json recordOf(const ClusterFixture& fixture, const std::string& id) {
    auto log = fixture.cli({"--json", "logs", id});
    REQUIRE(log.exitCode == 0);
    return json::parse(log.out)["job"];
}

std::string stateOf(const ClusterFixture& fixture, const std::string& id) {
    return recordOf(fixture, id)["state"].get<std::string>();
}

// Polls the job's state until it is `state`, at most limitSeconds.
bool reaches(const ClusterFixture& fixture, const std::string& id, const std::string& state, int limitSeconds) {
    for (int wait = 0; wait < limitSeconds * 4; ++wait) {
        if (stateOf(fixture, id) == state) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    return false;
}

// A job on the whole cluster (no -n: it runs alone) whose rank 0, on the head, appends "start I"
// and "end I" to a file shared by every job of the cluster (its jobs' folders sit side by side),
// with a second between, then exits with `code`; the other ranks end at once.
std::vector<std::string> orderedJob(int index, int code) {
    std::string script = "[ \"$OMPI_COMM_WORLD_RANK\" = 0 ] || exit 0; echo start " + std::to_string(index) +
                         " >> ../order; echo job-" + std::to_string(index) + "; sleep 1; echo end " + std::to_string(index) +
                         " >> ../order; exit " + std::to_string(code);
    return {"--", "sh", "-c", script};
}

// How many jobs `queue --json` shows running at once, sampled until `done` holds (at most 60 s).
int mostRunningAtOnce(const ClusterFixture& fixture, const std::function<bool(const json& job)>& counted,
                      const std::function<bool()>& done) {
    int most = 0;
    for (int poll = 0; poll < 240 && !done(); ++poll) {
        int running = 0;
        for (const auto& job : queueOf(fixture)) running += job["state"] == "running" && counted(job) ? 1 : 0;
        most = std::max(most, running);
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    return most;
}

// The hosts named by a job's output lines that are not `except`.
std::set<std::string> hostsIn(const std::string& output, const std::string& except) {
    std::set<std::string> hosts;
    for (const auto& line : lines(output))
        if (line != except) hosts.insert(line);
    return hosts;
}

// Two jobs of 2 ranks side by side on disjoint members; the first cancelled while the second
// runs on, its ranks and launcher untouched, and nothing of either left behind.
void sideBySide(docker::EngineClient& engine, const ClusterFixture& fixture) {
    auto cancelled = submit(fixture, {"-n", "2", "--", "sh", "-c", "hostname; sleep 60"});
    auto survivor = submit(fixture, {"-n", "2", "--", "sh", "-c", "hostname; sleep 20; echo survived"});
    REQUIRE(reaches(fixture, cancelled, "running", 60));
    REQUIRE(reaches(fixture, survivor, "running", 60));
    for (int poll = 0; poll < 100 && lines(fixture.cli({"logs", cancelled}).out).size() < 2; ++poll)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    CHECK(fixture.cli({"cancel", cancelled}).exitCode == 0);
    CHECK(fixture.cli({"wait", cancelled}).exitCode == 130);
    CHECK(stateOf(fixture, survivor) == "running");
    auto survived = fixture.cli({"wait", survivor});
    CHECK(survived.exitCode == 0);
    auto output = fixture.cli({"logs", survivor}).out;
    CHECK(std::count(output.begin(), output.end(), '\n') == 4);
    CHECK(output.find("survived\nsurvived\n") != std::string::npos);
    auto first = hostsIn(fixture.cli({"logs", cancelled}).out, "");
    auto second = hostsIn(output, "survived");
    CHECK_FALSE(first.empty());
    CHECK_FALSE(second.empty());
    for (const auto& host : first) CHECK_FALSE(second.count(host));
    CHECK(leftovers(engine, fixture.cluster()).empty());
}

}  // namespace

TEST_CASE("the queue: jobs submitted at once run in order, queue positions, wait, logs -f, cancel", "[docker]") {
    auto engine = requireEngine();
    ensureNodeImage();
    ClusterFixture fixture("queue");
    auto up = fixture.cli({"up", "--nodes", "3", "--name", fixture.cluster()});
    INFO("up: " << up.err);
    REQUIRE(up.exitCode == 0);

    // Five jobs at once: the last exits 3.
    std::vector<std::string> ids;
    for (int index = 1; index <= 5; ++index) ids.push_back(submit(fixture, orderedJob(index, index == 5 ? 3 : 0)));
    // Queued behind the first, in the order they came, positions 1, 2, 3...
    auto listed = queueOf(fixture);
    int expectedPosition = 1;
    for (const auto& job : listed) {
        if (job["state"] != "queued") continue;
        CHECK(job["position"] == expectedPosition++);
    }
    CHECK(expectedPosition >= 4);  // at most the first two had left the queue by then

    // `wait` for all: the first non-zero exit code among them; `wait` for one: its own.
    auto waited = fixture.cli({"wait", ids[0], ids[1], ids[2], ids[3], ids[4]});
    CHECK(waited.exitCode == 3);
    CHECK(lines(waited.out).size() == 5);
    CHECK(fixture.cli({"wait", ids[4]}).exitCode == 3);
    for (int index = 0; index < 5; ++index) {
        auto record = recordOf(fixture, ids[index]);
        CHECK(record["state"] == (index == 4 ? "failed" : "finished"));
        CHECK(record["exit_code"] == (index == 4 ? 3 : 0));
        CHECK(fixture.cli({"logs", ids[index]}).out == "job-" + std::to_string(index + 1) + "\n");
    }
    // One after another, never two at once: every start follows the previous end.
    auto order = fixture.cli({"run", "--name", fixture.cluster(), "-n", "1", "--", "cat", "../order"});
    INFO("order: " << order.out << order.err);
    CHECK(order.out == "start 1\nend 1\nstart 2\nend 2\nstart 3\nend 3\nstart 4\nend 4\nstart 5\nend 5\n");

    // `logs -f` streams a running job's lines as they come: the first well before the last.
    auto ticking = submit(fixture, {"-n", "1", "--", "sh", "-c", "for i in 1 2 3 4; do echo tick $i; sleep 1; done"});
    std::string stamped = fixture.stateDir() + "/stamped";
    auto follower = ppcs::testing::runProcess(
        {"/bin/sh", "-c", "\"$0\" logs -f \"$1\" | while IFS= read -r line; do echo \"$(date +%s.%N) $line\"; done > \"$2\"",
         ppcs::testing::cliBinary(), ticking, stamped},
        {{"PPCS_STATE_DIR", fixture.stateDir()}}, 120);
    CHECK(follower.exitCode == 0);
    auto stampedLines = lines(*readFile(stamped));
    REQUIRE(stampedLines.size() == 4);
    double first = std::stod(stampedLines.front()), last = std::stod(stampedLines.back());
    CHECK(last - first >= 2.0);
    CHECK(stampedLines.back().substr(stampedLines.back().find(' ') + 1) == "tick 4");

    // cancel: a running job is stopped on every node, a queued one leaves its queue and never runs.
    auto running = submit(fixture, {"--", "sleep", "120"});
    auto queued = submit(fixture, {"-n", "1", "--", "sh", "-c", "echo must-not-run"});
    REQUIRE(reaches(fixture, running, "running", 60));
    CHECK(stateOf(fixture, queued) == "queued");
    auto cancelQueued = fixture.cli({"cancel", queued});
    CHECK(cancelQueued.exitCode == 0);
    CHECK(cancelQueued.out == "job " + queued + ": cancelled, it leaves its queue\n");
    CHECK(fixture.cli({"wait", queued}).exitCode == 130);
    auto cancelRunning = fixture.cli({"cancel", running});
    CHECK(cancelRunning.out == "job " + running + ": stopping it on every node\n");
    CHECK(fixture.cli({"wait", running}).exitCode == 130);
    CHECK(stateOf(fixture, queued) == "cancelled");
    CHECK(fixture.cli({"logs", queued}).out.empty());
    CHECK(leftovers(engine, fixture.cluster()).empty());

    sideBySide(engine, fixture);

    // A `run` behind a job that has the cluster to itself waits its turn, says so, and runs.
    auto blocker = submit(fixture, {"--", "sleep", "3"});
    REQUIRE(reaches(fixture, blocker, "running", 60));
    auto behind = fixture.run({"-n", "1", "--", "echo", "my turn"});
    CHECK(behind.exitCode == 0);
    CHECK(behind.out == "my turn\n");
    CHECK(behind.err.find("waits in cluster '" + fixture.cluster() + "''s queue (position 1)") != std::string::npos);

    // `scale` under a running job waits for it, and applies before the next queued job starts:
    // that one runs on the grown cluster.
    auto longer = submit(fixture, {"-n", "1", "--", "sleep", "4"});
    REQUIRE(reaches(fixture, longer, "running", 60));
    pid_t scaling = fixture.spawn({"scale", "--nodes", "4", "--name", fixture.cluster()});
    std::this_thread::sleep_for(std::chrono::seconds(1));
    auto afterScale = submit(fixture, {"hello_world"});
    CHECK(waitFor(scaling, 180) == 0);
    CHECK(fixture.cli({"wait", longer, afterScale}).exitCode == 0);
    std::set<std::string> hosts;
    for (const auto& line : lines(fixture.cli({"logs", afterScale}).out)) hosts.insert(line.substr(line.rfind(' ') + 1));
    CHECK(hosts.size() == 5);

    // An array of 8, at most 2 at once: one job per index with PPCS_ARRAY_INDEX, side by side (the
    // cluster has room for more), never more than 2 running in any sample of `queue --json`; then
    // an array cancelled whole by its id.
    auto arrayId = submit(fixture, {"--array", "1-8%2", "-n", "1", "--", "sh", "-c", "echo index $PPCS_ARRAY_INDEX; sleep 2"});
    std::vector<std::string> elements;
    for (int index = 0; index < 8; ++index) elements.push_back(std::to_string(std::stoll(arrayId) + index));
    int mostRunning = mostRunningAtOnce(
        fixture, [&](const json& job) { return job["array_id"] == std::stoll(arrayId); },
        [&] { return stateOf(fixture, elements.back()) == "finished"; });
    CHECK(mostRunning == 2);
    for (int index = 0; index < 8; ++index) {
        auto record = recordOf(fixture, elements[index]);
        CHECK(record["array_id"] == std::stoll(arrayId));
        CHECK(record["array_index"] == index + 1);
        CHECK(fixture.cli({"logs", elements[index]}).out == "index " + std::to_string(index + 1) + "\n");
    }
    auto doomed = submit(fixture, {"--array", "1-3", "-n", "1", "--", "sleep", "60"});
    REQUIRE(reaches(fixture, doomed, "running", 60));
    CHECK(fixture.cli({"cancel", doomed}).exitCode == 0);
    for (int index = 0; index < 3; ++index) {
        std::string id = std::to_string(std::stoll(doomed) + index);
        CHECK(fixture.cli({"wait", id}).exitCode == 130);
        CHECK(stateOf(fixture, id) == "cancelled");
    }
    CHECK(fixture.cli({"submit", "--name", fixture.cluster(), "--array", "4-1", "hello_world"}).exitCode == 2);
    CHECK(fixture.cli({"run", "--name", fixture.cluster(), "--array", "1-2", "hello_world"}).exitCode == 2);

    // Bad input changes nothing: an unknown cluster, too many ranks, an unknown job.
    auto before = queueOf(fixture).size();
    CHECK(fixture.cli({"submit", "--name", "no-such-cluster-q", "hello_world"}).exitCode != 0);
    auto tooMany = fixture.cli({"submit", "--name", fixture.cluster(), "-n", "500", "hello_world"});
    CHECK(tooMany.exitCode == 2);
    CHECK(queueOf(fixture).size() == before);
    CHECK(fixture.cli({"wait", "987654"}).exitCode == 2);
    CHECK(fixture.cli({"logs", "-f", "x"}).exitCode == 2);
}

TEST_CASE("queued jobs survive ppcsd's SIGKILL, and --retry 1 runs a job again after a node is lost under it", "[docker]") {
    auto engine = requireEngine();
    ensureNodeImage();
    ClusterFixture fixture("requeue");
    REQUIRE(fixture.cli({"up", "--nodes", "2", "--name", fixture.cluster()}).exitCode == 0);

    // A long job holds the whole cluster; two wait behind it; ppcsd is killed outright.
    auto holder = submit(fixture, {"--", "sleep", "120"});
    auto firstQueued = submit(fixture, {"-n", "1", "--", "echo", "first after restart"});
    auto secondQueued = submit(fixture, {"-n", "1", "--", "echo", "second after restart"});
    REQUIRE(reaches(fixture, holder, "running", 60));
    REQUIRE(::kill(daemonPid(fixture.stateDir()), SIGKILL) == 0);
    std::this_thread::sleep_for(std::chrono::seconds(1));
    // The next command starts a new ppcsd: the running job was interrupted, the queued ones run.
    CHECK(fixture.cli({"wait", firstQueued, secondQueued}).exitCode == 0);
    CHECK(stateOf(fixture, holder) == "interrupted");
    CHECK(fixture.cli({"logs", firstQueued}).out == "first after restart\n");
    CHECK(fixture.cli({"logs", secondQueued}).out == "second after restart\n");
    CHECK(leftovers(engine, fixture.cluster()).empty());

    // --retry 1: a job on the whole cluster; on its first attempt rank 0 leaves a marker and every
    // rank sleeps, a node killed under it ends that attempt, and on the second (once the cluster
    // has healed) every rank finds the marker and ends at once, rank 0 saying so.
    auto retried = submit(fixture, {"--retry", "1", "--", "sh", "-c",
                                    "if [ -e ../first-attempt ]; then [ \"$OMPI_COMM_WORLD_RANK\" = 0 ] && echo second; exit 0; "
                                    "fi; [ \"$OMPI_COMM_WORLD_RANK\" = 0 ] && touch ../first-attempt; sleep 60"});
    REQUIRE(reaches(fixture, retried, "running", 60));
    // The node dies once the first attempt has left its marker.
    auto heads = engine.listContainers({{"ppcs.cluster", fixture.cluster()}, {"ppcs.role", "head"}}, false);
    REQUIRE(heads);
    REQUIRE(heads->size() == 1);
    bool marked = false;
    for (int poll = 0; poll < 200 && !marked; ++poll) {
        marked = execIn(engine, heads->front().id, {"test", "-e", "/usr/local/var/mpishare/jobs/first-attempt"}).exitCode == 0;
        if (!marked) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    REQUIRE(marked);
    auto nodes = engine.listContainers({{"ppcs.cluster", fixture.cluster()}, {"ppcs.role", "node"}}, false);
    REQUIRE(nodes);
    REQUIRE_FALSE(nodes->empty());
    REQUIRE(engine.killContainer(nodes->front().id));
    auto outcome = fixture.cli({"wait", retried}, 300);
    CHECK(outcome.exitCode == 0);
    auto record = recordOf(fixture, retried);
    CHECK(record["state"] == "finished");
    CHECK(record["attempt"] == 2);
    auto log = fixture.cli({"logs", retried});
    INFO("stderr of " << retried << ": " << log.err);
    CHECK(log.out == "second\n");
    CHECK(log.err.find("[ppcs: attempt 1 ended: lost node") != std::string::npos);
    auto left = leftovers(engine, fixture.cluster());
    INFO("left running: " << join(left, "; "));
    CHECK(left.empty());
}
