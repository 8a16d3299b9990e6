// `ppcs-cluster shell` options: from the command line to the request ppcsd gets, and the usage
// errors, without a daemon.

#include "cli/shell_command.h"

#include <catch2/catch.hpp>

#include "cli/command_line.h"

using namespace ppcs;
using namespace ppcs::cli;

namespace {

// parseCommandLine over words (argv[0] added); global is filled in.
int parse(std::vector<std::string> words, GlobalOptions& global, Action& action) {
    words.insert(words.begin(), "ppcs-cluster");
    std::vector<char*> argv;
    for (auto& word : words) argv.push_back(word.data());
    return parseCommandLine(static_cast<int>(argv.size()), argv.data(), global, action);
}

LocalTerminal terminal(int cols = 101, int rows = 33) { return LocalTerminal{true, cols, rows, "xterm-256color"}; }

}  // namespace

TEST_CASE("shell words after -- are the command's, untouched by option parsing", "[cli][shell]") {
    GlobalOptions global;
    Action action;
    CHECK(parse({"shell", "--name", "demo", "--node", "2", "--", "sh", "-c", "exit 5", "--name", "x"}, global, action) ==
          kRunAction);
    CHECK(global.runCommandGiven);
    CHECK(global.runWords == std::vector<std::string>{"sh", "-c", "exit 5", "--name", "x"});
    CHECK(action);

    GlobalOptions plain;
    Action plainAction;
    CHECK(parse({"shell"}, plain, plainAction) == kRunAction);
    CHECK_FALSE(plain.runCommandGiven);
    CHECK(plain.runWords.empty());

    GlobalOptions empty;
    Action emptyAction;
    CHECK(parse({"shell", "--"}, empty, emptyAction) == kRunAction);  // makeShellRequest refuses it, below
    CHECK(empty.runCommandGiven);
    CHECK(empty.runWords.empty());
}

TEST_CASE("shell command lines that are usage errors", "[cli][shell]") {
    for (std::vector<std::string> bad : {std::vector<std::string>{"shell", "hostname"},
                                         {"shell", "--node"},
                                         {"shell", "--node", "two"},
                                         {"shell", "--nodes", "2"},
                                         {"shell", "--name"}}) {
        GlobalOptions global;
        Action action;
        INFO(bad.back());
        CHECK(parse(bad, global, action) == kExitUsage);
    }
}

TEST_CASE("the shell request follows the options and the local terminal", "[cli][shell]") {
    ShellOptions options{"demo", 0, false};
    SECTION("no command on a terminal: a login shell on a TTY of the terminal's size") {
        auto request = makeShellRequest(options, false, {}, terminal());
        REQUIRE(request);
        CHECK(request->cluster == "demo");
        CHECK(request->node == 0);
        CHECK(request->command.empty());
        CHECK(request->tty);
        CHECK(request->attachStdin);
        CHECK(request->cols == 101);
        CHECK(request->rows == 33);
        CHECK(request->term == "xterm-256color");
    }
    SECTION("no command, stdin not a terminal: the shell reads its commands from stdin, no TTY") {
        auto request = makeShellRequest(options, false, {}, LocalTerminal{false, 0, 0, ""});
        REQUIRE(request);
        CHECK_FALSE(request->tty);
        CHECK(request->attachStdin);
    }
    SECTION("a command: never a TTY; stdin forwarded only when it is not a terminal") {
        auto onTerminal = makeShellRequest(options, true, {"hostname"}, terminal());
        REQUIRE(onTerminal);
        CHECK(onTerminal->command == std::vector<std::string>{"hostname"});
        CHECK_FALSE(onTerminal->tty);
        CHECK_FALSE(onTerminal->attachStdin);
        CHECK(onTerminal->cols == 0);
        auto piped = makeShellRequest(options, true, {"cat"}, LocalTerminal{false, 0, 0, ""});
        REQUIRE(piped);
        CHECK(piped->attachStdin);
    }
    SECTION("--node K") {
        auto request = makeShellRequest(ShellOptions{"demo", 3, true}, false, {}, terminal());
        REQUIRE(request);
        CHECK(request->node == 3);
        for (int bad : {0, -1, 100000}) {
            auto refused = makeShellRequest(ShellOptions{"demo", bad, true}, false, {}, terminal());
            REQUIRE_FALSE(refused);
            CHECK(refused.error().code == ErrorCode::usage);
            CHECK(refused.error().message.find("--node") == 0);
        }
    }
    SECTION("bad input") {
        auto noCommand = makeShellRequest(options, true, {}, terminal());
        REQUIRE_FALSE(noCommand);
        CHECK(noCommand.error().message == "shell -- needs a command");
        CHECK_FALSE(makeShellRequest(ShellOptions{"Bad Name", 0, false}, false, {}, terminal()));
        // A TERM that is not a plain name is dropped (ppcsd then uses xterm), not refused.
        auto oddTerm = makeShellRequest(options, false, {}, LocalTerminal{true, 80, 24, "xterm; rm"});
        REQUIRE(oddTerm);
        CHECK(oddTerm->term.empty());
        // A huge terminal is clamped to what ppcsd accepts.
        auto huge = makeShellRequest(options, false, {}, terminal(65535, 20000));
        REQUIRE(huge);
        CHECK(huge->cols == model::kMaxTerminalSide);
    }
}
