// What a job costs the engine on its way from the queue to its end (jobs::startJob), pinned call
// by call on a fake engine: on a whole cluster whose view the engine's events keep, the cluster's
// lease (taken, released) and the launcher's one exec, nothing else; without a view, one read of
// the cluster first, kept as the view for the next job.

#include "jobs/job_start.h"

#include <catch2/catch.hpp>

#include "support/fake_cluster.h"
#include "support/scratch_dir.h"

using namespace ppcs;
using namespace ppcs::jobs;
using ppcs::testing::FakeClusterHost;
using ppcs::testing::ScratchDir;

namespace {

// A cluster of a head and two nodes on the fake engine, a jobs.db, and what ppcsd shares between jobs.
struct JobStartScene {
    FakeClusterHost host;
    ScratchDir scratch{"job-start"};
    std::unique_ptr<JobStore> store;
    cluster::ClusterViews views;
    cluster::OperationLocks locks{host.factory()};
    RunningJobs running;
    int clusterReads = 0;

    JobStartScene() {
        REQUIRE(host.up("demo", 2));
        auto opened = JobStore::open(scratch.path + "/jobs.db");
        REQUIRE(opened);
        store = std::move(*opened);
    }

    JobStartContext context() {
        return {host.factory(),
                locks,
                views,
                [this](docker::Engine&, const std::string& name) {
                    ++clusterReads;
                    return host.manager.status(name);
                },
                *store,
                running,
                [] { return false; }};
    }

    // Queues hello_world on every slot and runs it as the queue would; returns its exit code.
    int runHelloWorld() {
        model::JobRequest request;
        request.cluster = "demo";
        request.program = "hello_world";
        model::JobRecord record;
        record.cluster = "demo";
        record.program = "hello_world";
        auto id = store->enqueue(record, "{}");
        REQUIRE(id);
        JobControl control;
        ClusterShare share{{}, [](const std::set<std::string>&) {}};
        auto outcome = startJob(context(), request, *id, 1, share, control, [](model::Phase, const std::string&) {});
        REQUIRE(outcome);
        return outcome->exitCode;
    }

    std::vector<std::string> callNames() const {
        std::vector<std::string> names;
        for (const auto& call : host.engine->calls()) names.push_back(call.name);
        return names;
    }
};

// The engine calls of the cluster's lease: found by its head service, taken, later released.
const std::vector<std::string> kLeaseTaken{"listServices", "updateServiceLabels"};
const std::vector<std::string> kLeaseReleased{"updateServiceLabels"};
// The launcher's exec, which also makes the job's folder and writes its hostfile.
const std::vector<std::string> kLauncherExec{"createExec", "startExec", "inspectExec"};

std::vector<std::string> concat(std::initializer_list<std::vector<std::string>> parts) {
    std::vector<std::string> all;
    for (const auto& part : parts) all.insert(all.end(), part.begin(), part.end());
    return all;
}

}  // namespace

TEST_CASE("a job on a whole cluster whose view is kept costs the lease and the launcher's exec, nothing else", "[jobs][start]") {
    JobStartScene scene;
    auto status = scene.host.manager.status("demo");
    REQUIRE(status);
    REQUIRE(scene.views.store(*status, scene.views.epoch()));
    scene.host.engine->clearCalls();

    CHECK(scene.runHelloWorld() == 0);
    CHECK(scene.callNames() == concat({kLeaseTaken, kLauncherExec, kLeaseReleased}));
    CHECK(scene.clusterReads == 0);
    auto execs = scene.host.engine->callsNamed("createExec");
    REQUIRE(execs.size() == 1);
    const auto& argv = execs.front().argv;
    REQUIRE(argv.size() > 7);
    CHECK(argv[3] == "ppcs-launch");
    CHECK(argv[7] == "mpirun");
    // The job's hostfile travels in the exec: its members, one line each, with their slots.
    CHECK(argv[6].find(status->members[2].address + " slots=") != std::string::npos);

    // The next job likewise: nothing is read again between jobs.
    scene.host.engine->clearCalls();
    CHECK(scene.runHelloWorld() == 0);
    CHECK(scene.callNames() == concat({kLeaseTaken, kLauncherExec, kLeaseReleased}));
    CHECK(scene.clusterReads == 0);
}

TEST_CASE("a job without a view reads its cluster once and keeps what it read as the view for the next", "[jobs][start]") {
    JobStartScene scene;
    scene.host.engine->clearCalls();
    CHECK(scene.runHelloWorld() == 0);
    CHECK(scene.clusterReads == 1);
    CHECK(scene.views.find("demo"));

    scene.host.engine->clearCalls();
    CHECK(scene.runHelloWorld() == 0);
    CHECK(scene.clusterReads == 1);
    CHECK(scene.callNames() == concat({kLeaseTaken, kLauncherExec, kLeaseReleased}));
}
