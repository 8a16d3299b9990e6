// Sizing members (--cpus, --memory, --shm-size) and binding a host folder (--mount): parsing and
// validation from bad input up, the labels that record them, the service spec the engine gets
// (Resources and Mounts, as a fake transport records the request body), the API messages, the
// checks against the swarm's hosts, and the report of a rank killed for running out of memory.

#include "cluster/node_size.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include "api/cluster_messages.h"
#include "cluster/cluster_manager.h"
#include "cluster/host_folder.h"
#include "cluster/hosts.h"
#include "cluster/spec.h"
#include "jobs/oom_report.h"
#include "support/fake_transport.h"

using namespace ppcs;
using namespace ppcs::cluster;
using nlohmann::json;
using ppcs::testing::FakeTransport;

namespace {

constexpr std::int64_t kMiB = 1 << 20;
constexpr std::int64_t kGiB = std::int64_t{1} << 30;

std::shared_ptr<FakeTransport> swarmOf(const std::string& nodes) {
    auto transport = std::make_shared<FakeTransport>();
    transport->expect("GET", "/_ping", testing::pingReply("1.41"));
    transport->expectJson("GET", "/v1.41/info", 200,
                          R"({"NCPU":2,"Swarm":{"LocalNodeState":"active","NodeID":"n1","ControlAvailable":true}})");
    transport->expectJson("GET", "/v1.41/nodes", 200, nodes);
    return transport;
}

const char* kOneHost =
    R"([{"ID":"n1","Description":{"Hostname":"alpha","Resources":{"NanoCPUs":2000000000,"MemoryBytes":8589934592}},
   "Spec":{"Role":"manager","Availability":"active"},"Status":{"State":"ready"}}])";
const char* kTwoHosts =
    R"([{"ID":"n1","Description":{"Hostname":"alpha","Resources":{"NanoCPUs":4000000000,"MemoryBytes":8589934592}},
   "Spec":{"Role":"manager","Availability":"active"},"Status":{"State":"ready"}},
  {"ID":"n2","Description":{"Hostname":"beta","Resources":{"NanoCPUs":2000000000,"MemoryBytes":4294967296}},
   "Spec":{"Role":"worker","Availability":"active"},"Status":{"State":"ready"}}])";

}  // namespace

TEST_CASE("up's --cpus is a decimal number of CPUs, at least 0.01", "[cluster][size]") {
    CHECK(*parseCpus("1") == 1000000000);
    CHECK(*parseCpus("1.5") == 1500000000);
    CHECK(*parseCpus("0.01") == 10000000);
    CHECK(*parseCpus(".5") == 500000000);
    CHECK(*parseCpus("2.000000001") == 2000000001);
    for (const char* bad : {"", "0", "0.001", "-1", "1.", "1.2.3", "one", "1e3", "1,5", "1.0000000001", " 1", "9999999"}) {
        INFO(bad);
        auto parsed = parseCpus(bad);
        REQUIRE_FALSE(parsed);
        CHECK(parsed.error().code == ErrorCode::usage);
        CHECK(parsed.error().message.find("--cpus") == 0);
    }
    CHECK(formatCpus(1500000000) == "1.5");
    CHECK(formatCpus(2000000000) == "2");
    CHECK(formatCpus(250000000) == "0.25");
}

TEST_CASE("up's --memory and --shm-size read sizes as Docker does", "[cluster][size]") {
    CHECK(*parseByteSize("512m", "--memory") == 512 * kMiB);
    CHECK(*parseByteSize("1g", "--memory") == kGiB);
    CHECK(*parseByteSize("1G", "--memory") == kGiB);
    CHECK(*parseByteSize("1.5g", "--memory") == 3 * kGiB / 2);
    CHECK(*parseByteSize("64MiB", "--memory") == 64 * kMiB);
    CHECK(*parseByteSize("64mb", "--memory") == 64 * kMiB);
    CHECK(*parseByteSize("64 m", "--memory") == 64 * kMiB);
    CHECK(*parseByteSize("2048k", "--memory") == 2 * kMiB);
    CHECK(*parseByteSize("1048576", "--memory") == kMiB);
    CHECK(*parseByteSize("100b", "--memory") == 100);
    for (const char* bad : {"", "m", "12x", "-5m", "1.g", "1gg", "1 g b", "5q", "0x10", "2000000p"}) {
        INFO(bad);
        auto parsed = parseByteSize(bad, "--shm-size");
        REQUIRE_FALSE(parsed);
        CHECK(parsed.error().code == ErrorCode::usage);
        CHECK(parsed.error().message.find("--shm-size") == 0);
    }
    CHECK(formatBytes(64 * kMiB) == "64 MiB");
    CHECK(formatBytes(kGiB) == "1 GiB");
    CHECK(formatBytes(3 * kGiB / 2) == "1.5 GiB");
    CHECK(formatBytes(512) == "512 B");
}

TEST_CASE("sizes are validated, slots follow whole CPUs and /dev/shm has a sensible default", "[cluster][size]") {
    CHECK(validateNodeSize({}));
    CHECK(validateNodeSize({1500000000, 64 * kMiB, kGiB}));
    CHECK(validateNodeSize({0, 2 * kMiB, 0}).error().message.find("--memory must be at least 6 MiB") == 0);
    CHECK(validateNodeSize({0, 0, 4096}).error().message.find("--shm-size must be at least 1 MiB") == 0);
    CHECK(validateNodeSize({5, 0, 0}).error().code == ErrorCode::usage);
    CHECK(slotsForCpus(0) == 0);
    CHECK(slotsForCpus(500000000) == 1);
    CHECK(slotsForCpus(1000000000) == 1);
    CHECK(slotsForCpus(1500000000) == 1);
    CHECK(slotsForCpus(3000000000) == 3);
    CHECK(defaultShmBytes(64 * kMiB, 24 * kGiB) == 32 * kMiB);
    CHECK(defaultShmBytes(0, 24 * kGiB) == 12 * kGiB);
    CHECK(defaultShmBytes(0, 0) == 256 * kMiB);
    // Half of a host memory that is not a whole number of pages (25276182528 / 2 is 3085471.5 pages).
    CHECK(defaultShmBytes(0, 25276182528) == 3085471LL * 4096);
    CHECK(defaultShmBytes(kGiB + 4096 + 2, 0) == kGiB / 2);
    ClusterSpec spec{"demo", 2};
    spec.size.nanoCpus = 2500000000;
    CHECK(effectiveSlots(spec) == 2);
    spec.slotsOverride = 4;
    CHECK(effectiveSlots(spec) == 4);
    spec.mount.everyHost = true;
    CHECK(validateSpec(spec).error().message == "--mount-on-every-host needs --mount");
}

TEST_CASE("up's --mount HOSTDIR:PATH: absolute paths, a documented default, no clash", "[cluster][mount]") {
    auto relative = parseHostMount("data", "/home/u");
    REQUIRE(relative);
    CHECK(relative->source == "/home/u/data");
    CHECK(relative->target == "/mnt/data");
    auto messy = parseHostMount("./d/../e/", "/home/u");
    REQUIRE(messy);
    CHECK(messy->source == "/home/u/e");
    CHECK(messy->target == "/mnt/e");
    auto explicitPath = parseHostMount("/srv/in:/data/in", "/");
    REQUIRE(explicitPath);
    CHECK(explicitPath->source == "/srv/in");
    CHECK(explicitPath->target == "/data/in");
    CHECK(validateHostMount(*explicitPath));
    CHECK(validateHostMount({"/srv/in", "/home/mpiuser/work"}));
    CHECK_FALSE(parseHostMount(":/x", "/home/u"));

    for (const char* target :
         {"/usr/local/var/mpishare", "/usr/local/var/mpishare/x", "/usr/local", "/usr", "/etc/x", "/tmp", "/", "/dev/shm",
          "/home/mpiuser", "/home/mpiuser/.ssh", "/proc", "relative", "/a/../b", "/a/./b", "/a//b", "/mnt/x/", ""}) {
        INFO(target);
        auto checked = validateHostMount({"/srv/in", target});
        REQUIRE_FALSE(checked);
        CHECK(checked.error().code == ErrorCode::usage);
        CHECK(checked.error().message.find("--mount: PATH") == 0);
    }
    CHECK(validateHostMount({"/", "/mnt/root"}).error().message.find("binding the host's whole file system") !=
          std::string::npos);
    CHECK(validateHostMount({"/a:b", "/mnt/b"}).error().message == "--mount: the host folder cannot contain ':'");
    CHECK(validateHostMount({"srv", "/mnt/srv"}).error().message.find("must be an absolute path") != std::string::npos);
}

TEST_CASE("sizes and the mount are recorded as labels and read back", "[cluster][size][mount]") {
    NodeSize size{1500000000, 64 * kMiB, 32 * kMiB};
    HostMount mount{"/srv/in", "/mnt/in", true};
    auto labels = nodeSizeLabels(size, mount);
    CHECK(labels.at(kCpusLabel) == "1500000000");
    CHECK(labels.at(kMemoryLabel) == "67108864");
    auto back = nodeSizeFromLabels(labels);
    CHECK(back.nanoCpus == size.nanoCpus);
    CHECK(back.memoryBytes == size.memoryBytes);
    CHECK(back.shmBytes == size.shmBytes);
    auto mountBack = hostMountFromLabels(labels);
    CHECK(mountBack.source == "/srv/in");
    CHECK(mountBack.target == "/mnt/in");
    CHECK(mountBack.everyHost);
    CHECK(nodeSizeLabels({}, {}).empty());
    CHECK(nodeSizeFromLabels({{kMemoryLabel, "garbage"}}).memoryBytes == 0);

    ObservedCluster observed;
    observed.headService = docker::ServiceInfo{"h", 1, "demo_mpihead", labels, "sha256:i", 1, ""};
    CHECK(observed.slotsOverride() == 1);  // from --cpus 1.5
    CHECK(observed.nodeSize().shmBytes == 32 * kMiB);
    observed.headService->labels[kSlotsLabel] = "3";
    CHECK(observed.slotsOverride() == 3);  // --slots wins
}

TEST_CASE("the services' spec carries the limits, /dev/shm as a sized tmpfs and the host folder", "[cluster][size][mount]") {
    auto transport = std::make_shared<FakeTransport>();
    transport->expect("GET", "/_ping", testing::pingReply("1.41"));
    transport->expectJson("POST", "/v1.41/services/create", 201, R"({"ID":"svc1"})");
    transport->expectJson("POST", "/v1.41/services/create", 201, R"({"ID":"svc2"})");
    auto engine = docker::EngineClient::connect(transport);
    REQUIRE(engine);
    ClusterSpec spec{"demo", 2};
    spec.size = {1500000000, 64 * kMiB, kGiB};
    spec.mount = {"/srv/in", "/mnt/in", false};
    docker::SecretInfo secret{"sec", "demo_ssh_x", {}};
    REQUIRE(
        engine->createService(clusterServiceSpec(spec, MemberRole::node, "sha256:img", "net1", secret, "10.128.0.0/24", "n1")));
    ClusterSpec plain{"demo", 2};
    REQUIRE(
        engine->createService(clusterServiceSpec(plain, MemberRole::head, "sha256:img", "net1", secret, "10.128.0.0/24", "n1")));

    auto created = transport->requestsTo("POST", "/v1.41/services/create");
    REQUIRE(created.size() == 2);
    auto body = json::parse(created[0].body);
    const auto& task = body["TaskTemplate"];
    CHECK(task["Resources"]["Limits"]["NanoCPUs"] == 1500000000);
    CHECK(task["Resources"]["Limits"]["MemoryBytes"] == 64 * kMiB);
    const auto& mounts = task["ContainerSpec"]["Mounts"];
    REQUIRE(mounts.size() == 3);
    CHECK(mounts[0]["Type"] == "volume");
    CHECK(mounts[0]["Target"] == "/usr/local/var/mpishare");
    CHECK(mounts[1] ==
          json::parse(R"({"Type":"tmpfs","Target":"/dev/shm","TmpfsOptions":{"Mode":1023,"SizeBytes":1073741824}})"));
    CHECK(mounts[2] == json::parse(R"({"Type":"bind","Source":"/srv/in","Target":"/mnt/in","ReadOnly":false})"));
    CHECK(body["Labels"]["ppcs.cpus"] == "1500000000");
    CHECK(body["Labels"]["ppcs.memory"] == "67108864");
    CHECK(body["Labels"]["ppcs.shm-size"] == "1073741824");
    CHECK(body["Labels"]["ppcs.mount"] == "/srv/in:/mnt/in");

    // No size asked: no Resources at all, and /dev/shm still a tmpfs (sized by the caller).
    auto head = json::parse(created[1].body);
    CHECK_FALSE(head["TaskTemplate"].contains("Resources"));
    REQUIRE(head["TaskTemplate"]["ContainerSpec"]["Mounts"].size() == 2);
    CHECK(head["TaskTemplate"]["ContainerSpec"]["Mounts"][1]["Type"] == "tmpfs");
    CHECK_FALSE(head["Labels"].contains("ppcs.mount"));
}

TEST_CASE("sizes and mounts are fitted to the swarm's hosts before anything is created", "[cluster][size][mount]") {
    auto one = swarmOf(kOneHost);
    auto local = docker::EngineClient::connect(one);
    REQUIRE(local);
    auto hosts = HostEngines::discover(*local);
    REQUIRE(hosts);
    ClusterSpec spec{"demo", 2};
    spec.mount = {"/srv/in", "/mnt/in", false};
    auto fitted = fitSpecToHosts(spec, *hosts);
    REQUIRE(fitted);
    CHECK(fitted->size.shmBytes == 4 * kGiB);  // half of the host's 8 GiB
    spec.size.memoryBytes = 64 * kMiB;
    CHECK(fitSpecToHosts(spec, *hosts)->size.shmBytes == 32 * kMiB);
    spec.size.shmBytes = kGiB;
    CHECK(fitSpecToHosts(spec, *hosts)->size.shmBytes == kGiB);
    spec.size.nanoCpus = 3000000000;
    auto tooMany = fitSpecToHosts(spec, *hosts);
    REQUIRE_FALSE(tooMany);
    CHECK(tooMany.error().code == ErrorCode::usage);
    CHECK(tooMany.error().message == "--cpus 3 is more than host alpha has (2)");

    auto two = swarmOf(kTwoHosts);
    auto manager = docker::EngineClient::connect(two);
    REQUIRE(manager);
    auto swarm = HostEngines::discover(*manager);
    REQUIRE(swarm);
    ClusterSpec spread{"demo", 2};
    spread.mount = {"/srv/in", "/mnt/in", false};
    auto refused = fitSpecToHosts(spread, *swarm);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == ErrorCode::usage);
    CHECK(refused.error().message.find("--mount binds a folder of this machine, and the swarm has 2 hosts") == 0);
    CHECK(refused.error().message.find("--mount-on-every-host") != std::string::npos);
    spread.mount.everyHost = true;
    auto everyHost = fitSpecToHosts(spread, *swarm);
    REQUIRE(everyHost);
    CHECK(everyHost->size.shmBytes == 2 * kGiB);  // half of the smaller host
}

TEST_CASE("up requests carry sizes and the mount, checked like the CLI's arguments", "[cluster][size][api]") {
    api::UpRequest request{{"demo", 2}, 60};
    request.spec.size = {1000000000, 64 * kMiB, kGiB};
    request.spec.mount = {"/srv/in", "/mnt/in", true};
    auto decoded = api::decodeUpRequest(api::encodeUpRequest(request));
    REQUIRE(decoded);
    CHECK(decoded->spec.size.nanoCpus == 1000000000);
    CHECK(decoded->spec.size.memoryBytes == 64 * kMiB);
    CHECK(decoded->spec.size.shmBytes == kGiB);
    CHECK(decoded->spec.mount.source == "/srv/in");
    CHECK(decoded->spec.mount.target == "/mnt/in");
    CHECK(decoded->spec.mount.everyHost);
    for (const char* bad :
         {R"({"nodes":1,"memory_bytes":-5})", R"({"nodes":1,"memory_bytes":1024})", R"({"nodes":1,"nano_cpus":"1"})",
          R"({"nodes":1,"mount_source":"/srv"})", R"({"nodes":1,"mount_source":"/srv","mount_target":"/etc"})",
          R"({"nodes":1,"mount_source":"srv","mount_target":"/mnt/srv"})", R"({"nodes":1,"mount_every_host":true})",
          R"({"nodes":1,"shm_bytes":18446744073709551615})"}) {
        INFO(bad);
        auto refused = api::decodeUpRequest(bad);
        REQUIRE_FALSE(refused);
        CHECK(refused.error().code == ErrorCode::usage);
    }

    ClusterStatus status;
    status.name = "demo";
    status.size = {1500000000, 64 * kMiB, 32 * kMiB};
    status.mount = {"/srv/in", "/mnt/in", false};
    auto text = api::encodeClusterStatus(status);
    auto object = json::parse(text);
    CHECK(object["cpus"] == 1.5);
    CHECK(object["memory_bytes"] == 64 * kMiB);
    CHECK(object["shm_bytes"] == 32 * kMiB);
    CHECK(object["mount"]["target"] == "/mnt/in");
    auto back = api::decodeClusterStatus(text);
    REQUIRE(back);
    CHECK(back->size.nanoCpus == 1500000000);
    CHECK(back->mount.source == "/srv/in");
    CHECK(json::parse(api::encodeClusterStatus(ClusterStatus{}))["mount"].is_null());
}

TEST_CASE("a host folder is made writable for mpiuser only when it is not, and put back", "[cluster][mount]") {
    CHECK(writableByMpiUser(1000, 0, 0755));
    CHECK_FALSE(writableByMpiUser(1000, 0, 0555));
    CHECK(writableByMpiUser(0, 1000, 0775));
    CHECK_FALSE(writableByMpiUser(0, 1000, 0755));
    CHECK(writableByMpiUser(0, 0, 0777));
    CHECK_FALSE(writableByMpiUser(0, 0, 0755));
    CHECK_FALSE(writableByMpiUser(0, 0, 0772));  // write without search is no use

    char pattern[] = "/tmp/ppcs-unit-mount-XXXXXX";
    REQUIRE(::mkdtemp(pattern));
    std::string dir = pattern;
    REQUIRE(::chmod(dir.c_str(), 0750) == 0);
    std::ofstream(dir + "/file") << "x";
    REQUIRE(::chmod((dir + "/file").c_str(), 0600) == 0);
    auto grant = grantMpiUserWrite(dir);
    REQUIRE(grant);
    struct stat info {};
    REQUIRE(::stat(dir.c_str(), &info) == 0);
    if (info.st_uid == kMpiUserId) {
        CHECK_FALSE(grant->changed);
    } else {
        CHECK(grant->changed);
        CHECK((info.st_mode & 07777) == 0757);
    }
    REQUIRE(::stat((dir + "/file").c_str(), &info) == 0);
    CHECK((info.st_mode & 07777) == 0600);  // never recursive
    revokeGrant(*grant);
    REQUIRE(::stat(dir.c_str(), &info) == 0);
    CHECK((info.st_mode & 07777) == 0750);

    CHECK(grantMpiUserWrite(dir + "/file").error().message.find("is not a folder") != std::string::npos);
    CHECK(grantMpiUserWrite(dir + "/missing").error().code == ErrorCode::usage);
    std::system(("rm -rf " + dir).c_str());
}

TEST_CASE("a rank killed for running out of memory is named with its node and the limit", "[jobs][oom]") {
    Member node;
    node.hostname = "demo-node-2";
    node.address = "10.128.0.4";
    node.containerId = "c2";
    node.dockerHostId = "n1";
    CHECK(jobs::describeOomKill(node, "3", 64 * kMiB) ==
          "rank 3 on demo-node-2 was killed: out of memory (limit 64 MiB), exit 137");
    CHECK(jobs::describeOomKill(node, "", 0) == "a rank on demo-node-2 was killed: out of memory (no memory limit), exit 137");

    auto transport = swarmOf(kOneHost);
    transport->expectJson(
        "GET", "/v1.41/events", 200,
        "{\"Type\":\"container\",\"Action\":\"oom\",\"Actor\":{\"ID\":\"c2\",\"Attributes\":{\"ppcs.cluster\":\"demo\"}},"
        "\"timeNano\":5}\n"
        "{\"Type\":\"container\",\"Action\":\"oom\",\"Actor\":{\"ID\":\"other\",\"Attributes\":{}},\"timeNano\":6}\n");
    auto engine = docker::EngineClient::connect(transport);
    REQUIRE(engine);
    Member head;
    head.hostname = "demo-head";
    head.containerId = "c0";
    head.dockerHostId = "n1";
    auto killed = jobs::oomKilledContainers(*engine, "demo", {head, node}, 1700000000);
    REQUIRE(killed);
    CHECK(killed->count("c2") == 1);
    auto asked = transport->requestsTo("GET", "/v1.41/events");
    REQUIRE(asked.size() == 1);
    const auto& target = asked[0].target;
    CHECK(target.find("since=1700000000") != std::string::npos);
    CHECK(target.find("until=") != std::string::npos);
    CHECK(target.find("oom") != std::string::npos);
    CHECK(target.find("ppcs.cluster%3Ddemo") != std::string::npos);

    auto crash =
        jobs::findCrash("mpirun noticed that process rank 3 with PID 0 on node 10.128.0.4 exited on signal 9 (Killed).\n");
    REQUIRE(crash);
    CHECK(crash->rank == "3");
    CHECK(crash->signal == 9);
    CHECK(jobs::crashNamesMember(*crash, node));
}
