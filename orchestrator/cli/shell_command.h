#pragma once
// `ppcs-cluster shell [--name C] [--node K] [-- CMD ARGS...]`: the pure part, from the options
// and words to the request ppcsd gets (tested without a daemon).

#include <string>
#include <vector>

#include "common/result.h"
#include "model/shell_request.h"

namespace ppcs::cli {

struct ShellOptions {
    std::string name;
    int node = 0;  // as typed with --node; 0 when not given
    bool nodeGiven = false;
};

// What the local side looks like.
struct LocalTerminal {
    bool stdinIsTerminal = false;
    int cols = 0;
    int rows = 0;
    std::string term;  // $TERM; dropped when it is not a plain name
};

// commandGiven: "--" was on the command line, words are what followed it. Without a command: a
// login shell, on a TTY when stdin is a terminal (else it reads its commands from stdin). With
// one: that argv, never through a shell, without TTY, stdin forwarded unless it is a terminal.
// Usage errors: a node outside 1-99999, "--" without a command, a bad cluster name.
Result<model::ShellRequest> makeShellRequest(const ShellOptions& options, bool commandGiven,
                                             const std::vector<std::string>& words, const LocalTerminal& local);

}  // namespace ppcs::cli
