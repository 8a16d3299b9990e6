#pragma once
// Parses argv into global options and the chosen command's action, without running it.

#include "cli/cli.h"

namespace ppcs::cli {

inline constexpr const char* kProgramName = "ppcs-cluster";

// Declares the whole command line on app: its name and description, the global options, and every
// command group's commands, bound to global and action. --help, shell completion and the man page
// all read this one declaration, so a command declared here appears in all three.
void declareCommands(CLI::App& app, GlobalOptions& global, Action& action);

// Returned by parseCommandLine when the action should run.
inline constexpr int kRunAction = -1;

// Prints help or one usage line itself, and then returns the exit code (0 for help, 2 for usage
// errors); returns kRunAction when `action` holds the command to run. The hidden first words
// `__complete` (completion.h) and `__manpage` (man_page.h) print what they generate and return 0.
int parseCommandLine(int argc, char** argv, GlobalOptions& global, Action& action);

}  // namespace ppcs::cli
