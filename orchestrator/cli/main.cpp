// ppcs-cluster: the command line. It talks only to ppcsd, starting it when none answers.
// Each command group lives in its own commands_*.cpp and registers itself here.

#include <CLI/CLI.hpp>
#include <cstdio>

#include "cli/cli.h"
#include "cli/output.h"
#include "common/files.h"

namespace {

using namespace ppcs;
using namespace ppcs::cli;

using CommandGroup = void (*)(CLI::App&, const GlobalOptions&, Action&);
constexpr CommandGroup kCommandGroups[] = {addBuildCommand, addVersionCommand, addDaemonCommands};

int parseAndRun(int argc, char** argv) {
    GlobalOptions global;
    global.stateDir = stateDirectory();
    Action action;
    CLI::App app{"ppcs-cluster: a ready MPI cluster on Docker in one command", "ppcs-cluster"};
    app.require_subcommand(1);
    app.add_flag("--json", global.json, "Machine-readable output on stdout");
    app.add_option("--state-dir", global.stateDir, "ppcsd's state directory (default $PPCS_STATE_DIR or ~/.local/state/ppcs)");
    for (auto group : kCommandGroups) group(app, global, action);
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& help) {
        return app.exit(help);
    } catch (const CLI::CallForAllHelp& help) {
        return app.exit(help);
    } catch (const CLI::ParseError& error) {
        std::string message = error.what();
        if (message.empty()) message = "invalid command line";
        return reportError(makeError(ErrorCode::usage, message + " (see --help)"));
    }
    if (global.stateDir.empty() || global.stateDir.front() != '/')
        return reportError(makeError(ErrorCode::usage, "--state-dir must be an absolute path"));
    return action ? action() : kExitUsage;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return parseAndRun(argc, argv);
    } catch (const std::exception& e) {
        return reportError(makeError(ErrorCode::failed, std::string("unexpected failure: ") + e.what()));
    }
}
