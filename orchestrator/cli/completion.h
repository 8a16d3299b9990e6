#pragma once
// Shell completion for ppcs-cluster, read from the command line's own declarations
// (declareCommands): subcommands, options and the value names of cli.h. Nothing here is a list
// of commands, so a command declared once is completed without further code.
//
// The bash script (`ppcs-cluster completion bash`) only hands COMP_WORDS to the hidden command
// `ppcs-cluster __complete CWORD WORDS...` and shows what it prints.

#include <cstddef>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace ppcs::cli {

inline constexpr const char* kCompleteCommand = "__complete";

enum class CompletionKind { words, files, directories };

struct Completion {
    CompletionKind kind = CompletionKind::words;
    std::vector<std::string> words;  // for words: the candidates that start with prefix
    std::string askDaemon;           // kClusterValue or kJobIdValue: ppcsd knows the candidates
    std::string prefix;              // the part of the value already typed
    std::string stateDir;            // --state-dir as given on the command line, else empty
};

// What fits words[current] (words are bash's COMP_WORDS: words[0] is the program, an option's
// "=" may be a word of its own). Reads app only: talks to no process. current out of range
// offers nothing.
Completion completeCommandLine(CLI::App& app, const std::vector<std::string>& words, std::size_t current);

// `__complete CWORD WORDS...`: prints the kind ("words", "files" or "dirs") on the first line and
// then one candidate per line. Cluster names and job ids come from a ppcsd already running for the
// state directory, which is never started, asked with a limit of about a second; when none answers
// nothing is offered and nothing is said. Returns 0, also for malformed input (which offers nothing).
int printCompletion(CLI::App& app, const std::vector<std::string>& args);

// The bash completion script: defines _ppcs_cluster and binds it to ppcs-cluster.
std::string bashCompletionScript();

}  // namespace ppcs::cli
