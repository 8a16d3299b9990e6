// The real ppcs-cluster binary with bad arguments: one clear line, exit 2, and nothing changed
// (no daemon started, no state directory created).

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>

#include "common/files.h"
#include "common/strings.h"
#include "support/run_process.h"
#include "support/test_paths.h"

using ppcs::testing::runProcess;

namespace {

std::string freshStateDir() {
    char pattern[] = "/tmp/ppcs-cli-test-XXXXXX";
    std::string parent = ::mkdtemp(pattern);
    return parent + "/state";
}

bool exists(const std::string& path) {
    struct stat info {};
    return ::stat(path.c_str(), &info) == 0;
}

int lineCount(const std::string& text) {
    int lines = 0;
    for (char c : text) lines += c == '\n';
    return lines;
}

}  // namespace

TEST_CASE("bad command lines give one line and exit 2, and change nothing", "[cli]") {
    std::string stateDir = freshStateDir();
    // The hostile-input corpus: one JSON array of arguments per line.
    std::vector<std::vector<std::string>> badArguments{
        {}, {"build", "--no-such-flag"}, {"build", "extra-positional"}, {"daemon"}};
    auto corpus = ppcs::readFile(ppcs::testing::dataFile("hostile/cli_args.jsonl"));
    REQUIRE(corpus);
    for (const auto& line : ppcs::split(*corpus, '\n'))
        if (!line.empty()) badArguments.push_back(nlohmann::json::parse(line).get<std::vector<std::string>>());
    REQUIRE(badArguments.size() > 40);
    for (auto arguments : badArguments) {
        arguments.insert(arguments.begin(), ppcs::testing::cliBinary());
        INFO("argv: " << ppcs::join(arguments, " | "));
        auto result = runProcess(arguments, {{"PPCS_STATE_DIR", stateDir}}, 20);
        CHECK(result.exitCode == 2);
        CHECK(lineCount(result.err) == 1);
        CHECK(result.err.rfind("ppcs-cluster: ", 0) == 0);
        CHECK(result.out.empty());
    }
    CHECK_FALSE(exists(stateDir));
    std::system(("rm -rf " + stateDir.substr(0, stateDir.rfind('/'))).c_str());
}

TEST_CASE("every command's --help works and starts nothing", "[cli]") {
    std::string stateDir = freshStateDir();
    for (std::vector<std::string> arguments : {std::vector<std::string>{"--help"},
                                               {"build", "--help"},
                                               {"daemon", "--help"},
                                               {"daemon", "status", "--help"},
                                               {"jobs", "--limit", "5", "--help"},
                                               {"--json", "jobs", "--limit", "5", "--help"},
                                               {"jobs", "prune", "--keep", "5", "--help"}}) {
        arguments.insert(arguments.begin(), ppcs::testing::cliBinary());
        auto result = runProcess(arguments, {{"PPCS_STATE_DIR", stateDir}}, 20);
        CHECK(result.exitCode == 0);
        CHECK(result.out.find("Usage:") != std::string::npos);
    }
    CHECK_FALSE(exists(stateDir));
    std::system(("rm -rf " + stateDir.substr(0, stateDir.rfind('/'))).c_str());
}

TEST_CASE("daemon status reports a daemon that is not running with exit 3", "[cli]") {
    std::string stateDir = freshStateDir();
    auto result = runProcess({ppcs::testing::cliBinary(), "--json", "daemon", "status"}, {{"PPCS_STATE_DIR", stateDir}}, 20);
    CHECK(result.exitCode == 3);
    CHECK(result.out == "{\"running\":false}\n");
    auto stop = runProcess({ppcs::testing::cliBinary(), "daemon", "stop"}, {{"PPCS_STATE_DIR", stateDir}}, 20);
    CHECK(stop.exitCode == 0);
    CHECK(stop.out == "ppcsd is not running\n");
    std::system(("rm -rf " + stateDir.substr(0, stateDir.rfind('/'))).c_str());
}

TEST_CASE("a daemon whose binary was replaced is restarted by the next command", "[cli]") {
    std::string stateDir = freshStateDir();
    std::string parent = stateDir.substr(0, stateDir.rfind('/'));
    std::string daemonCopy = parent + "/ppcsd";
    REQUIRE(std::system(("cp " + ppcs::testing::daemonBinary() + " " + daemonCopy).c_str()) == 0);
    std::map<std::string, std::string> env{{"PPCS_STATE_DIR", stateDir}, {"PPCS_DAEMON", daemonCopy}};
    auto pidOf = [&] {
        auto status = runProcess({ppcs::testing::cliBinary(), "--json", "daemon", "status"}, env, 20);
        auto at = status.out.find("\"pid\":");
        return at == std::string::npos ? std::string() : status.out.substr(at + 6, status.out.find(',', at) - at - 6);
    };
    REQUIRE(runProcess({ppcs::testing::cliBinary(), "version"}, env, 30).exitCode == 0);
    std::string first = pidOf();
    REQUIRE_FALSE(first.empty());
    REQUIRE(runProcess({ppcs::testing::cliBinary(), "version"}, env, 30).exitCode == 0);
    CHECK(pidOf() == first);                                                    // same binary: same daemon
    REQUIRE(std::system(("touch -d '+1 minute' " + daemonCopy).c_str()) == 0);  // an upgrade
    REQUIRE(runProcess({ppcs::testing::cliBinary(), "version"}, env, 30).exitCode == 0);
    std::string second = pidOf();
    CHECK_FALSE(second.empty());
    CHECK(second != first);
    runProcess({ppcs::testing::cliBinary(), "daemon", "stop"}, env, 30);
    std::system(("rm -rf " + parent).c_str());
}
