// ppcs-cluster: the command line. It talks only to ppcsd, starting it when none answers.
// Each command group lives in its own commands_*.cpp; command_line.cpp parses.

#include <string>

#include "cli/command_line.h"
#include "cli/output.h"

int main(int argc, char** argv) {
    using namespace ppcs;
    try {
        cli::GlobalOptions global;
        cli::Action action;
        int parsed = cli::parseCommandLine(argc, argv, global, action);
        return parsed == cli::kRunAction ? action() : parsed;
    } catch (const std::exception& e) {
        return cli::reportError(makeError(ErrorCode::failed, std::string("unexpected failure: ") + e.what()));
    }
}
