#pragma once
// The ppcs-cluster(1) man page, generated from the command line's own declarations
// (declareCommands): every command's description, usage and options are the text --help shows,
// so the page cannot drift from the program. The build writes it with the hidden command
// `ppcs-cluster __manpage`.

#include <string>

namespace CLI {
class App;
}

namespace ppcs::cli {

inline constexpr const char* kManPageCommand = "__manpage";

// The page in man(7) roff: NAME, SYNOPSIS, DESCRIPTION, OPTIONS (the global ones), COMMANDS (every
// visible command and subcommand, in declaration order), EXIT STATUS, ENVIRONMENT. Hidden commands
// are left out. Text is escaped for roff.
std::string manPage(const CLI::App& app);

}  // namespace ppcs::cli
