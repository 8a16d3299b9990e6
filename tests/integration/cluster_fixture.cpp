#include "integration/cluster_fixture.h"

#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/files.h"
#include "common/strings.h"
#include "support/test_paths.h"

namespace ppcs::integration {

ClusterFixture::ClusterFixture(const std::string& suffix) : cluster_(testClusterName(suffix)) {
    char pattern[] = "/tmp/ppcs-it-src-XXXXXX";
    const char* made = ::mkdtemp(pattern);
    REQUIRE(made != nullptr);
    sources_ = made;
}

ClusterFixture::~ClusterFixture() {
    for (const auto& name : extraClusters_) cli({"down", "--volumes", "--name", name}, 180);
    cli({"down", "--volumes", "--name", cluster_}, 180);
    std::error_code ignored;
    std::filesystem::remove_all(sources_, ignored);
}

ppcs::testing::ProcessResult ClusterFixture::cli(std::vector<std::string> args, int timeLimit) const {
    return runCli(state_, std::move(args), timeLimit);
}

pid_t ClusterFixture::spawn(std::vector<std::string> args) const { return spawnCli(state_, std::move(args)); }

ppcs::testing::ProcessResult ClusterFixture::run(std::vector<std::string> args, int timeLimit) const {
    std::vector<std::string> argv{"/bin/sh", "-c",    "cd \"$0\" && exec \"$@\"", sources_, ppcs::testing::cliBinary(), "run",
                                  "--name",  cluster_};
    argv.insert(argv.end(), args.begin(), args.end());
    return ppcs::testing::runProcess(argv, state_.environment(), timeLimit);
}

std::string ClusterFixture::extraCluster(const std::string& suffix) {
    extraClusters_.push_back(testClusterName(suffix));
    return extraClusters_.back();
}

void ClusterFixture::write(const std::string& name, const std::string& content) const {
    std::filesystem::path path = std::filesystem::path(sources_) / name;
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path) << content;
}

std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    for (auto& line : split(std::string(trim(text)), '\n'))
        if (!line.empty()) out.push_back(line);
    return out;
}

std::vector<std::string> leftovers(docker::EngineClient& engine, const std::string& cluster) {
    std::vector<std::string> found;
    auto containers = engine.listContainers({{"ppcs.cluster", cluster}}, false);
    REQUIRE(containers);
    for (const auto& container : *containers) {
        auto listed = execIn(engine, container.id, {"pgrep", "-u", "mpiuser", "-l"}, "root");
        for (const auto& line : lines(listed.out))
            if (line.find("sshd") == std::string::npos && line.find(" ssh") == std::string::npos) found.push_back(line);
    }
    return found;
}

bool waitForLeftovers(docker::EngineClient& engine, const std::string& cluster, std::size_t count, int limitSeconds) {
    for (int poll = 0; poll < limitSeconds * 5; ++poll) {
        if (leftovers(engine, cluster).size() >= count) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return false;
}

int daemonPid(const std::string& stateDir) {
    auto endpoint = readFile(stateDir + "/ppcsd.json");
    REQUIRE(endpoint);
    return nlohmann::json::parse(*endpoint)["pid"].get<int>();
}

int waitFor(pid_t pid, int limitSeconds) {
    int status = 0;
    for (int poll = 0; poll < limitSeconds * 10; ++poll) {
        if (::waitpid(pid, &status, WNOHANG) == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
    return -1;
}

}  // namespace ppcs::integration
