// compose/: the manual way comes up with docker-compose and its head runs mpirun across the nodes.

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <set>
#include <thread>

#include "common/strings.h"
#include "integration/support.h"
#include "support/run_process.h"
#include "support/test_paths.h"

using namespace ppcs;
using namespace ppcs::integration;
using ppcs::testing::runProcess;

namespace {

// The project, its network and key, removed at the end whatever happens.
class ComposeProject {
public:
    ComposeProject() : project_(runId() + "-compose"), network_(runId() + "-compose-net") {
        char pattern[] = "/tmp/ppcs-it-compose-XXXXXX";
        dir_ = ::mkdtemp(pattern);
        env_ = {{"PPCS_NETWORK", network_}, {"PPCS_SSH_KEY", dir_ + "/ssh_key"}};
    }
    ~ComposeProject() {
        compose({"down", "-v"});
        // The network stays busy for a moment after its last container: retry, bounded.
        for (int attempt = 0; attempt < 40; ++attempt) {
            if (runProcess({"docker", "network", "inspect", network_}, {}, 30).exitCode != 0) break;
            runProcess({"docker", "network", "rm", network_}, {}, 30);
            std::this_thread::sleep_for(std::chrono::milliseconds(250));
        }
        std::system(("rm -rf " + dir_).c_str());
    }
    ppcs::testing::ProcessResult compose(std::vector<std::string> args) const {
        std::vector<std::string> argv{"docker-compose", "-p", project_, "-f",
                                      std::string(PPCS_TEST_DATA_DIR) + "/../../compose/docker-compose.yml"};
        argv.insert(argv.end(), args.begin(), args.end());
        return runProcess(argv, env_, 300);
    }
    const std::string& project() const { return project_; }
    const std::string& network() const { return network_; }
    const std::string& dir() const { return dir_; }

private:
    std::string project_;
    std::string network_;
    std::string dir_;
    std::map<std::string, std::string> env_;
};

}  // namespace

TEST_CASE("compose/ comes up with docker-compose and its head runs mpirun across the nodes", "[docker]") {
    auto engine = requireEngine();
    ensureNodeImage();
    auto swarm = engine.info();
    REQUIRE(swarm);
    if (swarm->swarmState != "active") REQUIRE(engine.initSwarm("127.0.0.1:2377", "127.0.0.1"));
    ComposeProject project;
    REQUIRE(runProcess({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", project.dir() + "/ssh_key"}, {}, 30).exitCode == 0);
    REQUIRE(engine.createNetwork({project.network(), "overlay", true, "10.250.0.0/24", {{"ppcs.test", runId()}}}));
    auto up = project.compose({"up", "-d", "--scale", "mpinode=3"});
    INFO("compose: " << up.err);
    REQUIRE(up.exitCode == 0);
    auto containers = engine.listContainers({{"com.docker.compose.project", project.project()}}, false);
    REQUIRE(containers);
    REQUIRE(containers->size() == 4);
    std::string head;
    std::vector<std::string> addresses;
    for (const auto& container : *containers) {
        if (container.labels.at("com.docker.compose.service") == "mpihead") head = container.id;
        auto address = runProcess({"docker", "inspect", "-f",
                                   "{{(index .NetworkSettings.Networks \"" + project.network() + "\").IPAddress}}", container.id},
                                  {}, 30);
        REQUIRE(address.exitCode == 0);
        addresses.push_back(std::string(trim(address.out)));
    }
    REQUIRE_FALSE(head.empty());
    std::vector<std::string> mpirun{
        "mpirun", "--mca", "btl_tcp_if_include", "10.250.0.0/24", "--mca", "oob_tcp_if_include", "10.250.0.0/24", "-n",
        "4",      "-host", join(addresses, ","), "hostname"};
    docker::ExecOutcome ran;
    for (int attempt = 0; attempt < 20; ++attempt) {  // the sshds start with their containers
        ran = execIn(engine, head, mpirun);
        if (ran.exitCode == 0) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    INFO("mpirun stderr: " << ran.err);
    REQUIRE(ran.exitCode == 0);
    std::set<std::string> hosts;
    for (const auto& line : split(std::string(trim(ran.out)), '\n')) hosts.insert(line);
    CHECK(hosts.size() == 4);
}
