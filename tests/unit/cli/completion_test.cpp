// Shell completion: the script the build generated is sourced into bash and its function called as
// bash calls it (COMP_WORDS, COMP_CWORD), against the real ppcs-cluster. What it must offer is
// read from the CLI's own declarations (declareCommands), never from a list kept here. Cluster names
// and job ids come from a ppcsd this test starts in its own state directory (or a fake one on the
// real API); with none running, completion says nothing, starts nothing and returns.

#include "cli/completion.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <thread>

#include "cli/command_line.h"
#include "common/files.h"
#include "common/strings.h"
#include "jobs/job_store.h"
#include "support/run_process.h"
#include "support/test_paths.h"
#include "unit/api/running_server.h"

using ppcs::testing::runProcess;
using Words = std::vector<std::string>;

namespace {

std::string completionScript() { return ppcs::testing::buildDir() + "/completion/ppcs-cluster"; }

// A fresh private directory, removed at the end.
struct TempDir {
    TempDir() {
        char pattern[] = "/tmp/ppcs-completion-test-XXXXXX";
        path = ::mkdtemp(pattern);
    }
    ~TempDir() { std::filesystem::remove_all(path); }
    std::string path;
};

// Sources the generated script and calls _ppcs_cluster on words (words[0] is replaced by the built
// CLI); the candidates are printed one per line.
ppcs::testing::ProcessResult completeInBash(Words words, std::size_t current, const std::string& stateDir) {
    words[0] = ppcs::testing::cliBinary();
    Words argv{"bash",
               "--norc",
               "--noprofile",
               "-c",
               "source \"$1\"; shift; COMP_CWORD=$1; shift; COMP_WORDS=(\"$@\"); _ppcs_cluster; status=$?; "
               "for word in \"${COMPREPLY[@]}\"; do printf '%s\\n' \"$word\"; done; exit $status",
               "completion-test",
               completionScript(),
               std::to_string(current)};
    argv.insert(argv.end(), words.begin(), words.end());
    return runProcess(argv, {{"PPCS_STATE_DIR", stateDir}}, 20);
}

std::set<std::string> offered(const Words& words, std::size_t current, const std::string& stateDir) {
    auto result = completeInBash(words, current, stateDir);
    INFO("words: " << ppcs::join(words, " | ") << "\nstderr: " << result.err);
    CHECK(result.exitCode == 0);
    CHECK(result.err.empty());
    std::set<std::string> lines;
    for (const auto& line : ppcs::split(result.out, '\n'))
        if (!line.empty()) lines.insert(line);
    return lines;
}

// The command line as ppcs-cluster declares it.
struct DeclaredCli {
    DeclaredCli() { ppcs::cli::declareCommands(app, global, action); }
    const CLI::App* command(const std::string& name) { return app.get_subcommand(name); }
    static std::set<std::string> subcommandNames(const CLI::App& level) {
        std::set<std::string> names;
        for (const auto* sub : level.get_subcommands([](const CLI::App* s) { return !s->get_group().empty(); }))
            names.insert(sub->get_name());
        return names;
    }
    CLI::App app;
    ppcs::cli::GlobalOptions global;
    ppcs::cli::Action action;
};

void writeEndpoint(const std::string& stateDir, int port, const std::string& token) {
    REQUIRE(ppcs::writePrivateFile(stateDir + "/" + ppcs::api::kEndpointFile, ppcs::api::encodeEndpoint({port, 1, ""})));
    REQUIRE(ppcs::writePrivateFile(stateDir + "/" + ppcs::api::kTokenFile, token));
}

// A fake ppcsd on the real API: two clusters, two jobs.
class KnownServices : public ppcs::api::fakes::StubServices {
public:
    ppcs::Result<std::vector<std::string>> listClusters() override { return std::vector<std::string>{"alpha", "beta"}; }
    ppcs::Result<std::vector<ppcs::model::JobRecord>> listJobs(int) override {
        ppcs::model::JobRecord first;
        first.id = 7;
        ppcs::model::JobRecord second;
        second.id = 42;
        return std::vector<ppcs::model::JobRecord>{second, first};
    }
};

// A real ppcsd in stateDir, pointed at an engine socket that does not exist (so it never reaches
// the machine's Docker engine), stopped by its pid at the end.
class OwnDaemon {
public:
    explicit OwnDaemon(const std::string& stateDir) : stateDir_(stateDir) {
        std::string dockerHost = "DOCKER_HOST=unix://" + stateDir + "/no-engine.sock";
        std::string log = stateDir + "/test-ppcsd.out";
        pid_ = ::fork();
        if (pid_ == 0) {
            int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
            ::dup2(fd, STDOUT_FILENO);
            ::dup2(fd, STDERR_FILENO);
            ::putenv(dockerHost.data());
            std::string binary = ppcs::testing::daemonBinary();
            ::execl(binary.c_str(), binary.c_str(), "--state-dir", stateDir.c_str(), static_cast<char*>(nullptr));
            ::_exit(127);
        }
    }
    ~OwnDaemon() {
        if (pid_ <= 0) return;
        ::kill(pid_, SIGTERM);
        for (int i = 0; i < 100; ++i) {
            if (::waitpid(pid_, nullptr, WNOHANG) == pid_) return;
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
    }
    // Waits (15 s at most) until it answers.
    bool answers() const {
        for (int i = 0; i < 150; ++i) {
            if (auto endpoint = ppcs::api::readEndpoint(stateDir_); endpoint && ppcs::api::ApiClient(*endpoint).version())
                return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        return false;
    }

private:
    std::string stateDir_;
    pid_t pid_ = -1;
};

bool exists(const std::string& path) {
    struct stat info {};
    return ::stat(path.c_str(), &info) == 0;
}

}  // namespace

TEST_CASE("completion offers the subcommands the CLI declares, at every level", "[cli][completion]") {
    TempDir dir;
    std::string stateDir = dir.path + "/state";
    DeclaredCli cli;
    auto commands = DeclaredCli::subcommandNames(cli.app);
    REQUIRE(commands.count("up"));
    CHECK(offered({"", ""}, 1, stateDir) == commands);
    CHECK(offered({"", "da"}, 1, stateDir) == std::set<std::string>{"daemon", "dashboard"});
    CHECK(offered({"", "dae"}, 1, stateDir) == std::set<std::string>{"daemon"});
    for (const auto& name : commands) {
        auto nested = DeclaredCli::subcommandNames(*cli.command(name));
        if (nested.empty()) continue;
        INFO("command " << name);
        CHECK(offered({"", name, ""}, 2, stateDir) == nested);
        // After an option and its value, too (`jobs --limit 5 prune`).
        CHECK(offered({"", "--json", name, ""}, 3, stateDir) == nested);
    }
    CHECK_FALSE(commands.count(ppcs::cli::kCompleteCommand));  // hidden
    CHECK_FALSE(exists(stateDir));
}

TEST_CASE("completion offers a command's options and the global ones", "[cli][completion]") {
    TempDir dir;
    std::string stateDir = dir.path + "/state";
    DeclaredCli cli;
    for (const auto& name : DeclaredCli::subcommandNames(cli.app)) {
        std::set<std::string> expected{"--json", "--state-dir"};
        for (const auto* option : cli.command(name)->get_options())
            for (const auto& longName : option->get_lnames()) expected.insert("--" + longName);
        INFO("command " << name);
        CHECK(offered({"", name, "--"}, 2, stateDir) == expected);
    }
    auto up = offered({"", "up", "--n"}, 2, stateDir);
    CHECK(up == std::set<std::string>{"--name", "--nodes"});
    CHECK(offered({"", "ips", "--js"}, 2, stateDir) == std::set<std::string>{"--json"});
    CHECK(offered({"", "run", "-"}, 2, stateDir).count("-n"));
}

TEST_CASE("completion knows what an option's value is from its declaration", "[cli][completion]") {
    DeclaredCli cli;
    using ppcs::cli::CompletionKind;
    auto complete = [&cli](const Words& words) { return ppcs::cli::completeCommandLine(cli.app, words, words.size() - 1); };
    CHECK(complete({"ppcs-cluster", "run", "--env-file", ""}).kind == CompletionKind::files);
    CHECK(complete({"ppcs-cluster", "--state-dir", ""}).kind == CompletionKind::directories);
    CHECK(complete({"ppcs-cluster", "run", "--output", "=", "x"}).kind == CompletionKind::directories);
    CHECK(complete({"ppcs-cluster", "logs", ""}).askDaemon == ppcs::cli::kJobIdValue);
    CHECK(complete({"ppcs-cluster", "cancel", "3", "4", ""}).askDaemon == ppcs::cli::kJobIdValue);
    CHECK(complete({"ppcs-cluster", "status", "--name", "="}).askDaemon == ppcs::cli::kClusterValue);
    CHECK(complete({"ppcs-cluster", "status", "--name", "="}).prefix.empty());
    auto named = complete({"ppcs-cluster", "--state-dir", "/somewhere", "down", "--name", "al"});
    CHECK(named.askDaemon == ppcs::cli::kClusterValue);
    CHECK(named.prefix == "al");
    CHECK(named.stateDir == "/somewhere");
    // The program's own words after run's PROGRAM and after "--": not ppcs-cluster's.
    auto program = complete({"ppcs-cluster", "run", "-n", "4", "prog", "--n"});
    CHECK(program.kind == CompletionKind::files);
    CHECK(program.words.empty());
    CHECK(complete({"ppcs-cluster", "shell", "--", "l"}).kind == CompletionKind::files);
    // A value nothing is known about: nothing offered.
    auto count = complete({"ppcs-cluster", "up", "--nodes", ""});
    CHECK(count.kind == CompletionKind::words);
    CHECK(count.words.empty());
    CHECK(count.askDaemon.empty());
    CHECK(ppcs::cli::completeCommandLine(cli.app, {"ppcs-cluster"}, 5).words.empty());
}

TEST_CASE("cluster names and job ids come from the running ppcsd", "[cli][completion]") {
    TempDir dir;
    ppcs::api::fakes::RunningServer<KnownServices> daemon;
    writeEndpoint(dir.path, daemon.port, "good-token");
    CHECK(offered({"", "status", "--name", ""}, 3, dir.path) == std::set<std::string>{"alpha", "beta"});
    CHECK(offered({"", "run", "--name", "b"}, 3, dir.path) == std::set<std::string>{"beta"});
    CHECK(offered({"", "down", "--name", "=", ""}, 4, dir.path) == std::set<std::string>{"alpha", "beta"});
    CHECK(offered({"", "logs", ""}, 2, dir.path) == std::set<std::string>{"7", "42"});
    CHECK(offered({"", "cancel", "7", "4"}, 3, dir.path) == std::set<std::string>{"42"});
    // --state-dir on the command line names the daemon to ask.
    TempDir elsewhere;
    CHECK(offered({"", "--state-dir", dir.path, "wait", ""}, 4, elsewhere.path) == std::set<std::string>{"7", "42"});
}

TEST_CASE("job ids come from a real ppcsd started in the test's own state directory", "[cli][completion]") {
    TempDir dir;
    std::string stateDir = dir.path + "/state";
    REQUIRE(::mkdir(stateDir.c_str(), 0700) == 0);
    {
        auto store = ppcs::jobs::JobStore::open(stateDir + "/jobs.db");
        REQUIRE(store);
        for (int i = 0; i < 3; ++i) {
            auto id = (*store)->enqueue(ppcs::model::JobRecord{0, "demo", "hello_world", {}, 2}, "{}");
            REQUIRE(id);
            REQUIRE((*store)->markStarted(*id, 2).value());
            REQUIRE((*store)->finish(*id, ppcs::model::JobState::finished, 0, 0.5, ""));
        }
    }
    OwnDaemon daemon(stateDir);
    REQUIRE(daemon.answers());
    CHECK(offered({"", "logs", ""}, 2, stateDir) == std::set<std::string>{"1", "2", "3"});
    CHECK(offered({"", "wait", "1", "3"}, 3, stateDir) == std::set<std::string>{"3"});
    // This ppcsd reaches no engine, so it knows no cluster: nothing offered, nothing said.
    CHECK(offered({"", "status", "--name", ""}, 3, stateDir).empty());
}

TEST_CASE("with no ppcsd answering completion says nothing, starts nothing and returns", "[cli][completion]") {
    TempDir dir;
    std::string stateDir = dir.path + "/state";
    for (const Words& words : {Words{"", "logs", ""}, Words{"", "status", "--name", ""}, Words{"", "cancel", "1", ""}}) {
        auto result = completeInBash(words, words.size() - 1, stateDir);
        INFO("words: " << ppcs::join(words, " | "));
        CHECK_FALSE(result.timedOut);
        CHECK(result.exitCode == 0);
        CHECK(result.out.empty());
        CHECK(result.err.empty());
    }
    CHECK_FALSE(exists(stateDir));  // no ppcsd was started for it

    // A ppcsd that accepts connections and never answers (stopped, wedged): bounded all the same.
    int listener = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    REQUIRE(::listen(listener, 8) == 0);
    socklen_t length = sizeof address;
    REQUIRE(::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) == 0);
    writeEndpoint(dir.path, ntohs(address.sin_port), "some-token");
    auto result = completeInBash({"", "logs", ""}, 2, dir.path);
    ::close(listener);
    CHECK_FALSE(result.timedOut);
    CHECK(result.exitCode == 0);
    CHECK(result.out.empty());
    CHECK(result.err.empty());
}
