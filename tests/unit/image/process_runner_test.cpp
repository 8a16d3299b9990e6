#include "image/process_runner.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

using namespace ppcs;
using namespace ppcs::image;

namespace {

// A pid names a live process when /proc has it and it is not a zombie waiting for its reaper.
bool processAlive(const std::string& pid) {
    std::ifstream stat("/proc/" + pid + "/stat");
    std::string content;
    if (!std::getline(stat, content)) return false;
    auto afterName = content.rfind(')');
    return afterName != std::string::npos && afterName + 2 < content.size() && content[afterName + 2] != 'Z';
}

// The killed grandchild is re-parented and reaped by init: give that a bounded moment.
bool aliveAfterReaping(const std::string& pid) {
    for (int attempt = 0; attempt < 50 && processAlive(pid); ++attempt)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    return processAlive(pid);
}

}  // namespace

TEST_CASE("a child that outlives its time limit is stopped with every process it started", "[image][process]") {
    auto runner = makeProcessRunner();
    // The direct child becomes a sleep (exec); a second sleep runs in the background with its output
    // elsewhere, as a hung dpkg under debootstrap would: only a group kill reaches it.
    ProcessSpec spec{{"sh", "-c", "echo $$; sleep 300 >/dev/null 2>&1 & echo $!; exec sleep 300"}, std::chrono::seconds(1)};
    std::vector<std::string> pids;
    auto outcome = runner->run(spec, [&](const std::string& line) { pids.push_back(line); });
    REQUIRE_FALSE(outcome);
    CHECK(outcome.error().code == ErrorCode::timeout);
    CHECK(outcome.error().message.find("timed out after 1 s") != std::string::npos);
    REQUIRE(pids.size() == 2);
    CHECK_FALSE(aliveAfterReaping(pids[0]));
    CHECK_FALSE(aliveAfterReaping(pids[1]));
}

TEST_CASE("a child that ends in time reports its exit code and last lines", "[image][process]") {
    auto runner = makeProcessRunner();
    auto outcome = runner->run({{"sh", "-c", "echo one; echo two >&2; exit 3"}, std::chrono::seconds(30)}, nullptr);
    REQUIRE(outcome);
    CHECK(outcome->exitCode == 3);
    CHECK(outcome->lastLines.find("one\n") != std::string::npos);
    CHECK(outcome->lastLines.find("two\n") != std::string::npos);
}
