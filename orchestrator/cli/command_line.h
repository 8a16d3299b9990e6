#pragma once
// Parses argv into global options and the chosen command's action, without running it.

#include "cli/cli.h"

namespace ppcs::cli {

// Returned by parseCommandLine when the action should run.
inline constexpr int kRunAction = -1;

// Prints help or one usage line itself, and then returns the exit code (0 for help, 2 for usage
// errors); returns kRunAction when `action` holds the command to run.
int parseCommandLine(int argc, char** argv, GlobalOptions& global, Action& action);

}  // namespace ppcs::cli
