// What happens when things go wrong: the daemon killed mid-job, callers racing, and the
// security properties a cluster must keep.

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <future>
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
using ppcs::testing::ProcessResult;
using ppcs::testing::runProcess;

namespace {

int jobProcesses(docker::EngineClient& engine, const std::string& cluster) {
    int count = 0;
    auto containers = engine.listContainers({{"ppcs.cluster", cluster}}, false);
    REQUIRE(containers);
    for (const auto& container : *containers) {
        auto listed = execIn(engine, container.id, {"pgrep", "-u", "mpiuser", "-x", "sleep"}, "root");
        for (const auto& line : split(std::string(trim(listed.out)), '\n')) count += line.empty() ? 0 : 1;
    }
    return count;
}

}  // namespace

TEST_CASE("ppcsd killed with SIGKILL mid-job: the job is recorded interrupted and stopped, the cluster intact", "[docker]") {
    auto engine = requireEngine();
    ensureNodeImage();
    ClusterFixture fixture("crash");
    REQUIRE(fixture.cli({"up", "--nodes", "1", "--name", fixture.cluster()}).exitCode == 0);
    auto before = fixture.cli({"--json", "ips", "--name", fixture.cluster()});
    REQUIRE(before.exitCode == 0);

    pid_t runner = fixture.spawn({"run", "--name", fixture.cluster(), "-n", "2", "--", "sleep", "120"});
    bool running = false;
    for (int poll = 0; poll < 100 && !running; ++poll) {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        running = jobProcesses(engine, fixture.cluster()) == 2;
    }
    REQUIRE(running);
    REQUIRE(::kill(daemonPid(fixture.stateDir()), SIGKILL) == 0);
    int cliExit = waitFor(runner, 30);
    CHECK(cliExit == 1);  // the CLI says the daemon went away, never hangs

    // The next command starts a new daemon: records intact, the running job marked interrupted,
    // and what it left running stopped.
    auto listed = fixture.cli({"--json", "jobs"});
    REQUIRE(listed.exitCode == 0);
    auto jobs = json::parse(listed.out)["jobs"];
    REQUIRE_FALSE(jobs.empty());
    CHECK(jobs[0]["state"] == "interrupted");
    CHECK(jobs[0]["exit_code"].is_null());
    int left = -1;
    for (int poll = 0; poll < 100 && left != 0; ++poll) {
        left = jobProcesses(engine, fixture.cluster());
        if (left) std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    CHECK(left == 0);
    auto after = fixture.cli({"--json", "ips", "--name", fixture.cluster()});
    CHECK(after.out == before.out);
    // The clean-up holds the cluster until it has swept every member (a `down` meanwhile is
    // refused as busy): it logs when it is done.
    bool cleaned = false;
    for (int poll = 0; poll < 150 && !cleaned; ++poll) {
        auto log = readFile(fixture.stateDir() + "/ppcsd.log");
        cleaned =
            log && log->find("stopped what an interrupted job left on cluster '" + fixture.cluster() + "'") != std::string::npos;
        if (!cleaned) std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    CHECK(cleaned);
    REQUIRE(fixture.cli({"down", "--volumes", "--name", fixture.cluster()}, 180).exitCode == 0);
    CHECK(engine.listServices({{"ppcs.cluster", fixture.cluster()}})->empty());
    CHECK(engine.listContainers({{"ppcs.cluster", fixture.cluster()}}, true)->empty());
    CHECK(engine.listNetworks({{"ppcs.cluster", fixture.cluster()}})->empty());
    CHECK(engine.listSecrets({{"ppcs.cluster", fixture.cluster()}})->empty());
}

TEST_CASE("50 concurrent ips/status calls with two racing scales: clear answers, one size", "[docker]") {
    auto engine = requireEngine();
    ensureNodeImage();
    ClusterFixture fixture("race");
    REQUIRE(fixture.cli({"up", "--nodes", "2", "--name", fixture.cluster()}).exitCode == 0);
    std::vector<std::future<ProcessResult>> readers;
    std::vector<std::future<ProcessResult>> scalers;
    for (const char* nodes : {"3", "4"})
        scalers.push_back(std::async(std::launch::async, [&, nodes] {
            return fixture.cli({"scale", "--nodes", nodes, "--name", fixture.cluster()});
        }));
    for (int i = 0; i < 50; ++i)
        readers.push_back(std::async(std::launch::async, [&, i] {
            return fixture.cli({"--json", i % 2 ? "ips" : "status", "--name", fixture.cluster()}, 120);
        }));
    int readersOk = 0;
    for (auto& reader : readers) {
        auto result = reader.get();
        CHECK_FALSE(result.timedOut);
        if (result.exitCode == 0) {
            ++readersOk;
            CHECK(json::parse(result.out).is_object());
        } else {
            CHECK(std::count(result.err.begin(), result.err.end(), '\n') == 1);
            CHECK(result.err.rfind("ppcs-cluster: ", 0) == 0);
        }
    }
    CHECK(readersOk >= 45);
    std::vector<int> accepted;
    int sizes[] = {3, 4};
    for (int i = 0; i < 2; ++i) {
        auto result = scalers[i].get();
        if (result.exitCode == 0)
            accepted.push_back(sizes[i]);
        else
            CHECK(result.err.find("busy with another request") != std::string::npos);
    }
    REQUIRE_FALSE(accepted.empty());
    auto services = engine.listServices({{"ppcs.cluster", fixture.cluster()}});
    REQUIRE(services);
    CHECK(services->size() == 2);
    auto status = fixture.cli({"--json", "status", "--name", fixture.cluster()});
    REQUIRE(status.exitCode == 0);
    int nodes = json::parse(status.out)["nodes"];
    if (accepted.size() == 1)
        CHECK(nodes == accepted.front());
    else
        CHECK((nodes == 3 || nodes == 4));
}

TEST_CASE("secure defaults: loopback only, no docker socket in containers, per-cluster keys", "[docker]") {
    auto engine = requireEngine();
    ensureNodeImage();
    ClusterFixture first("sec-a");
    ClusterFixture second("sec-b");
    REQUIRE(first.cli({"up", "--nodes", "1", "--name", first.cluster()}).exitCode == 0);
    REQUIRE(second.cli({"up", "--nodes", "1", "--name", second.cluster()}).exitCode == 0);

    // ppcsd listens on 127.0.0.1 only.
    auto endpoint = json::parse(*readFile(first.stateDir() + "/ppcsd.json"));
    char port[8];
    std::snprintf(port, sizeof port, "%04X", endpoint["port"].get<int>());
    auto sockets = readFile("/proc/net/tcp");
    REQUIRE(sockets);
    int listening = 0;
    for (const auto& line : split(*sockets, '\n')) {
        auto fields = split(std::string(trim(line)), ' ');
        std::vector<std::string> words;
        for (auto& field : fields)
            if (!field.empty()) words.push_back(field);
        if (words.size() > 3 && endsWith(words[1], std::string(":") + port) && words[3] == "0A") {
            ++listening;
            CHECK(words[1] == std::string("0100007F:") + port);
        }
    }
    CHECK(listening == 1);

    auto containers = engine.listContainers({{"ppcs.cluster", first.cluster()}}, false);
    REQUIRE(containers);
    REQUIRE(containers->size() == 2);
    std::set<std::string> hostKeys;
    for (const auto& container : *containers) {
        auto sockets =
            execIn(engine, container.id, {"sh", "-c", "ls -d /var/run/docker.sock /run/docker.sock 2>/dev/null; true"}, "root");
        CHECK(sockets.out.empty());
        CHECK(execIn(engine, container.id, {"sudo", "true"}).exitCode != 0);
        hostKeys.insert(execIn(engine, container.id, {"cat", "/etc/ssh/ssh_host_ed25519_key.pub"}).out);
        // The private cluster key is mpiuser's alone.
        CHECK(execIn(engine, container.id, {"stat", "-c", "%a %U", "/home/mpiuser/.ssh/id_ed25519"}).out == "600 mpiuser\n");
    }
    CHECK(hostKeys.size() == 2);
    auto firstSecrets = engine.listSecrets({{"ppcs.cluster", first.cluster()}});
    auto secondSecrets = engine.listSecrets({{"ppcs.cluster", second.cluster()}});
    REQUIRE(firstSecrets->size() == 1);
    REQUIRE(secondSecrets->size() == 1);
    CHECK(firstSecrets->front().id != secondSecrets->front().id);
    auto firstHead = engine.listContainers({{"ppcs.cluster", first.cluster()}, {"ppcs.role", "head"}}, false)->front().id;
    auto secondHead = engine.listContainers({{"ppcs.cluster", second.cluster()}, {"ppcs.role", "head"}}, false)->front().id;
    CHECK(execIn(engine, firstHead, {"cat", "/home/mpiuser/.ssh/id_ed25519.pub"}).out !=
          execIn(engine, secondHead, {"cat", "/home/mpiuser/.ssh/id_ed25519.pub"}).out);
    REQUIRE(first.cli({"down", "--name", first.cluster()}, 180).exitCode == 0);
    CHECK(engine.listSecrets({{"ppcs.cluster", first.cluster()}})->empty());
}

namespace {

std::vector<std::string> hostfileLines(docker::EngineClient& engine, const std::string& cluster) {
    auto heads = engine.listContainers({{"ppcs.cluster", cluster}, {"ppcs.role", "head"}}, false);
    REQUIRE(heads);
    REQUIRE(heads->size() == 1);
    auto text = execIn(engine, heads->front().id, {"cat", "/usr/local/var/mpishare/hostfile"});
    std::vector<std::string> entries;
    for (const auto& line : split(text.out, '\n'))
        if (line.find("slots=") != std::string::npos) entries.push_back(line);
    return entries;
}

std::string killOneNode(docker::EngineClient& engine, const std::string& cluster) {
    auto nodes = engine.listContainers({{"ppcs.cluster", cluster}, {"ppcs.role", "node"}}, false);
    REQUIRE(nodes);
    REQUIRE_FALSE(nodes->empty());
    REQUIRE(engine.killContainer(nodes->front().id));
    return nodes->front().id;
}

}  // namespace

TEST_CASE("node loss while idle: dropped from the hostfile, replaced, and status says so", "[docker][backends]") {
    auto engine = requireEngine();
    ensureNodeImage();
    ClusterFixture fixture("idle-loss");
    REQUIRE(fixture.cli({"up", "--nodes", "2", "--name", fixture.cluster()}).exitCode == 0);
    REQUIRE(fixture.cli({"version"}).exitCode == 0);  // the daemon (and its event watch) runs
    REQUIRE(hostfileLines(engine, fixture.cluster()).size() == 3);
    auto killed = std::chrono::steady_clock::now();
    killOneNode(engine, fixture.cluster());
    bool dropped = false;
    for (int poll = 0; poll < 300 && !dropped; ++poll) {
        dropped = hostfileLines(engine, fixture.cluster()).size() == 2;
        if (!dropped) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    auto droppedAfter = std::chrono::duration<double>(std::chrono::steady_clock::now() - killed).count();
    REQUIRE(dropped);
    bool back = false;
    for (int poll = 0; poll < 600 && !back; ++poll) {
        back = hostfileLines(engine, fixture.cluster()).size() == 3;
        if (!back) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    auto backAfter = std::chrono::duration<double>(std::chrono::steady_clock::now() - killed).count();
    WARN("node loss: dropped from the hostfile after " << droppedAfter << " s, replacement in after " << backAfter << " s");
    REQUIRE(back);
    // This ppcsd healed it, or another on the same engine (the user's, say) did and this one saw it
    // verified: when both healed at once, this one says so on its next round (bounded wait).
    auto healedEvent = [](const std::string& event) {
        return event.find("replacement ready") != std::string::npos || event.find("healed by another ppcsd") != std::string::npos;
    };
    ppcs::testing::ProcessResult status;
    json events;
    for (int poll = 0; poll < 300; ++poll) {
        status = fixture.cli({"--json", "status", "--name", fixture.cluster()});
        REQUIRE(status.exitCode == 0);
        events = json::parse(status.out)["events"];
        if (!events.empty() && healedEvent(events.back().get<std::string>())) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    INFO("events: " << events.dump());
    REQUIRE(events.size() >= 2);
    CHECK(events[0].get<std::string>().find("died (exit") != std::string::npos);
    CHECK(healedEvent(events.back().get<std::string>()));
    auto members = json::parse(status.out)["members"];
    for (const auto& member : members) CHECK(member["ready"] == true);
    auto hello = fixture.cli({"run", "--name", fixture.cluster(), "--per-node", "1", "-n", "3", "hello_world"});
    CHECK(hello.exitCode == 0);
    std::set<std::string> hosts;
    for (const auto& line : split(std::string(trim(hello.out)), '\n')) hosts.insert(line.substr(line.rfind(' ') + 1));
    CHECK(hosts.size() == 3);
}

TEST_CASE("node loss during run: the job ends, names the node, and leaves nothing running", "[docker]") {
    auto engine = requireEngine();
    ensureNodeImage();
    ClusterFixture fixture("run-loss");
    REQUIRE(fixture.cli({"up", "--nodes", "2", "--name", fixture.cluster()}).exitCode == 0);
    auto job = std::async(std::launch::async, [&] {
        return fixture.cli({"run", "--name", fixture.cluster(), "-n", "6", "--", "sleep", "120"}, 120);
    });
    bool running = false;
    for (int poll = 0; poll < 100 && !running; ++poll) {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        running = jobProcesses(engine, fixture.cluster()) == 6;
    }
    REQUIRE(running);
    auto killed = std::chrono::steady_clock::now();
    killOneNode(engine, fixture.cluster());
    auto result = job.get();
    WARN("node loss during run: the job ended "
         << std::chrono::duration<double>(std::chrono::steady_clock::now() - killed).count() << " s after the kill");
    CHECK_FALSE(result.timedOut);
    CHECK(result.exitCode != 0);
    std::string last = lastLine(result.err);
    CHECK(last.find("lost node " + fixture.cluster() + "-node-") != std::string::npos);
    int left = -1;
    for (int poll = 0; poll < 50 && left != 0; ++poll) {
        left = jobProcesses(engine, fixture.cluster());
        if (left) std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    CHECK(left == 0);
}

TEST_CASE("a lost node never makes the cluster refuse work: 80 runs, a node killed every 16", "[docker]") {
    auto engine = requireEngine();
    ensureNodeImage();
    ClusterFixture fixture("heal-load");
    REQUIRE(fixture.cli({"up", "--nodes", "9", "--name", fixture.cluster()}, 600).exitCode == 0);
    const std::string fewerMembers = "running on the 9 ready members of 10";
    int succeeded = 0, onFewer = 0, waited = 0, kills = 0;
    bool justKilled = false;
    std::vector<double> seconds;
    for (int runNumber = 1; runNumber <= 80; ++runNumber) {
        // Every 4th run, and the first after every second kill, needs one rank on each of the 10
        // members: with one being replaced it waits. The first after the other kills fits 9.
        std::vector<std::string> args{"run", "--name", fixture.cluster(), "--timeout", "120"};
        if (runNumber % 4 == 0 || (justKilled && kills % 2 == 0)) args.insert(args.end(), {"-n", "10", "--per-node", "1"});
        justKilled = false;
        args.push_back("hello_world");
        auto started = std::chrono::steady_clock::now();
        auto ran = fixture.cli(args, 180);
        seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
        INFO("run " << runNumber << ": " << lastPart(ran.err));
        CHECK_FALSE(ran.timedOut);
        CHECK(ran.exitCode == 0);
        CHECK(ran.err.find("busy with another request") == std::string::npos);
        CHECK(ran.err.find("not ready") == std::string::npos);
        succeeded += ran.exitCode == 0 ? 1 : 0;
        onFewer += ran.err.find(fewerMembers) != std::string::npos ? 1 : 0;
        waited += ran.err.find("waiting for " + fixture.cluster() + "-node-") != std::string::npos ? 1 : 0;
        if (runNumber % 16 == 0 && runNumber < 80) {
            killOneNode(engine, fixture.cluster());
            ++kills;
            justKilled = true;
            // The next run comes once ppcsd has taken the dead member out (a run at the very moment
            // of a death is hit by it, as it would be by any later death).
            bool dropped = false;
            for (int poll = 0; poll < 300 && !dropped; ++poll) {
                dropped = hostfileLines(engine, fixture.cluster()).size() == 9;
                if (!dropped) std::this_thread::sleep_for(std::chrono::milliseconds(100));
            }
            REQUIRE(dropped);
        }
    }
    std::sort(seconds.begin(), seconds.end());
    WARN("80 runs, " << kills << " kills: " << succeeded << " succeeded, " << onFewer << " started at once on 9 members, "
                     << waited << " waited for the heal; run time median " << seconds[seconds.size() / 2] << " s, max "
                     << seconds.back() << " s");
    CHECK(succeeded == 80);
    // Runs right after a kill find the member being replaced: they ran on fewer members, or waited.
    // (Later ones may too, while the heal is not done.) A heal already over when the run comes (the
    // replacement is quick, and another ppcsd on the engine heals too) makes neither: counted together.
    CHECK(onFewer + waited >= kills / 2);
}
