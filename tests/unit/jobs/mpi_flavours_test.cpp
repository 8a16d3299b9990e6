// Both MPIs: the one spelling of each, the cluster's choice through labels and the wire, each
// launcher's argv and hostfile, and the image build's argument.

#include <catch2/catch.hpp>
#include <memory>

#include "api/cluster_messages.h"
#include "api/messages.h"
#include "cluster/hostfile.h"
#include "cluster/observed.h"
#include "cluster/reconciler.h"
#include "cluster/spec.h"
#include "image/image_builder.h"
#include "jobs/job_request.h"
#include "support/fake_engine.h"

using namespace ppcs;
using model::MpiKind;

TEST_CASE("each MPI has one spelling, and --mpi accepts only those", "[mpi]") {
    for (MpiKind mpi : {MpiKind::openmpi, MpiKind::mpich}) CHECK(model::mpiFromName(model::mpiName(mpi)) == mpi);
    CHECK(std::string(model::mpiName(MpiKind::mpich)) == "mpich");
    CHECK(model::mpiImageRef(MpiKind::mpich) == "ppcs-mpich:latest");
    CHECK(model::mpiImageRef(MpiKind::openmpi) == "ppcs-openmpi:latest");
    for (const char* bad : {"", "MPICH", "open-mpi", "mpich "}) {
        INFO(bad);
        auto parsed = model::parseMpiOption(bad);
        REQUIRE_FALSE(parsed);
        CHECK(parsed.error().code == ErrorCode::usage);
        CHECK(parsed.error().message == std::string("--mpi must be openmpi or mpich, not '") + bad + "'");
    }
}

TEST_CASE("the cluster's MPI is recorded in its services' labels and read back", "[mpi][cluster]") {
    cluster::ClusterSpec spec{"demo", 2};
    docker::SecretInfo secret{"sec", "demo_ssh_x", {}};
    auto unset = cluster::clusterServiceSpec(spec, model::MemberRole::head, "sha256:img", "net1", secret, "10.0.0.0/24", "n1");
    CHECK(unset.labels.at(cluster::kMpiLabel) == "openmpi");  // a new cluster without --mpi: the default
    spec.mpi = MpiKind::mpich;
    auto head = cluster::clusterServiceSpec(spec, model::MemberRole::head, "sha256:img", "net1", secret, "10.0.0.0/24", "n1");
    CHECK(head.labels.at(cluster::kMpiLabel) == "mpich");

    cluster::ObservedCluster observed;
    observed.name = "demo";
    CHECK(observed.mpi() == MpiKind::openmpi);  // no head service
    observed.headService = docker::ServiceInfo{"h", 1, "demo_mpihead", head.labels};
    CHECK(observed.mpi() == MpiKind::mpich);
    observed.headService->labels.erase(cluster::kMpiLabel);  // a cluster made before the choice existed
    CHECK(observed.mpi() == MpiKind::openmpi);
    observed.headService->labels[cluster::kMpiLabel] = "lam";
    CHECK(observed.mpi() == MpiKind::openmpi);
}

TEST_CASE("an up that names another MPI than the cluster's is refused, one that names none keeps it", "[mpi][cluster]") {
    cluster::ObservedCluster observed;
    observed.name = "demo";
    observed.headService = docker::ServiceInfo{"h", 1, "demo_mpihead", {{cluster::kMpiLabel, "mpich"}}, "sha256:img", 1};
    observed.nodeService = docker::ServiceInfo{"n", 1, "demo_mpinode", {}, "sha256:img", 2};
    observed.network = docker::NetworkInfo{};
    observed.network->subnets = {"10.128.0.0/24"};
    observed.secrets = {docker::SecretInfo{"s", "demo_ssh_x", {}}};
    cluster::ClusterSpec spec{"demo", 3};
    CHECK(cluster::decideUp(spec, observed));
    spec.mpi = MpiKind::mpich;
    CHECK(cluster::decideUp(spec, observed));
    spec.mpi = MpiKind::openmpi;
    auto refused = cluster::decideUp(spec, observed);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == ErrorCode::usage);
    CHECK(refused.error().message == "--mpi cannot change on an existing cluster (it runs mpich): take it down first");
}

TEST_CASE("the MPI crosses the wire in up requests, status and build requests", "[mpi][api]") {
    api::UpRequest up{{"demo", 2}, 60};
    auto decoded = api::decodeUpRequest(api::encodeUpRequest(up));
    REQUIRE(decoded);
    CHECK_FALSE(decoded->spec.mpi);  // not named: stays unnamed
    up.spec.mpi = MpiKind::mpich;
    decoded = api::decodeUpRequest(api::encodeUpRequest(up));
    REQUIRE(decoded);
    CHECK(decoded->spec.mpi == MpiKind::mpich);
    auto bad = api::decodeUpRequest(R"({"nodes":1,"mpi":"lam"})");
    REQUIRE_FALSE(bad);
    CHECK(bad.error().code == ErrorCode::usage);

    model::ClusterStatus status;
    status.name = "demo";
    status.mpi = MpiKind::mpich;
    auto text = api::encodeClusterStatus(status);
    CHECK(text.find(R"("mpi":"mpich")") != std::string::npos);
    auto back = api::decodeClusterStatus(text);
    REQUIRE(back);
    CHECK(back->mpi == MpiKind::mpich);

    model::BuildRequest build;
    build.mpi = MpiKind::mpich;
    build.imageRef = model::mpiImageRef(MpiKind::mpich);
    auto built = api::decodeBuildRequest(api::encodeBuildRequest(build));
    REQUIRE(built);
    CHECK(built->mpi == MpiKind::mpich);
    CHECK(built->imageRef == "ppcs-mpich:latest");
}

TEST_CASE("hydra's hostfile lists ADDRESS:SLOTS in the members' order and checks entries", "[mpi][hostfile]") {
    std::vector<cluster::HostEntry> entries{{"10.128.0.2", 2, "demo-head", "3f2a1b4c5d6e"}, {"10.128.0.3", 1, "demo-node-1", ""}};
    auto text = cluster::renderHydraHostfile(entries);
    REQUIRE(text);
    CHECK(*text == "10.128.0.2:2\n10.128.0.3:1\n");
    entries.push_back({"10.128.0.3", 1, "demo-node-2", ""});
    CHECK_FALSE(cluster::renderHydraHostfile(entries));  // listed twice
    CHECK_FALSE(cluster::renderHydraHostfile({{"demo-head", 1, "", ""}}));
    CHECK_FALSE(cluster::renderHydraHostfile({{"10.128.0.2", 0, "", ""}}));
}

TEST_CASE("hydra's argv: NP, per-node, tags, workdir and environment, user arguments untouched", "[mpi][jobs]") {
    jobs::JobRequest request;
    auto argv = jobs::buildLauncherArgv(MpiKind::mpich, request, 20, 10, "/share/jobs/7/.ppcs-hostfile",
                                        {"hello_world", "a b", ";", "$(rm -rf /)"});
    REQUIRE(argv);
    CHECK(*argv == std::vector<std::string>{"mpiexec", "-launcher", "ssh", "-f", "/share/jobs/7/.ppcs-hostfile", "-n", "20",
                                            "hello_world", "a b", ";", "$(rm -rf /)"});
    request.np = 21;
    auto tooMany = jobs::buildLauncherArgv(MpiKind::mpich, request, 20, 10, "/h", {"x"});
    REQUIRE_FALSE(tooMany);
    CHECK(tooMany.error().message == "-n 21 is more than the cluster's 20 slots: add --oversubscribe to run anyway");
    request.oversubscribe = true;
    request.perNode = 3;
    request.tagOutput = true;
    request.env = {"OMP_NUM_THREADS=2", "HOME", "EQ=a=b"};
    auto mapped = jobs::buildLauncherArgv(MpiKind::mpich, request, 20, 10, "/h", {"x"}, "/share/jobs/7");
    REQUIRE(mapped);
    CHECK(*mapped == std::vector<std::string>{"mpiexec", "-launcher",
                                              "ssh",     "-f",
                                              "/h",      "-n",
                                              "21",      "-ppn",
                                              "3",       "-prepend-rank",
                                              "-wdir",   "/share/jobs/7",
                                              "-genv",   "OMP_NUM_THREADS",
                                              "2",       "-genvlist",
                                              "HOME",    "-genv",
                                              "EQ",      "a=b",
                                              "x"});
    auto openmpi = jobs::buildLauncherArgv(MpiKind::openmpi, request, 20, 10, "/h", {"x"}, "/share/jobs/7");
    REQUIRE(openmpi);
    CHECK(*openmpi == std::vector<std::string>{"mpirun", "-n", "21", "--hostfile", "/h", "--oversubscribe", "--map-by",
                                               "ppr:3:node", "--tag-output", "--wdir", "/share/jobs/7", "-x", "OMP_NUM_THREADS=2",
                                               "-x", "HOME", "-x", "EQ=a=b", "x"});
    request.perNode = 2;
    CHECK_FALSE(jobs::buildLauncherArgv(MpiKind::mpich, request, 20, 10, "/h", {"x"}));
}

TEST_CASE("both MPIs compile with the same wrappers", "[mpi][jobs]") {
    CHECK(jobs::compilerWrapper(jobs::ProgramKind::cSource) == "mpicc");
    CHECK(jobs::compilerWrapper(jobs::ProgramKind::cxxSource) == "mpicxx");
    CHECK(jobs::compilerWrapper(jobs::ProgramKind::fortranSource) == "mpifort");
}
