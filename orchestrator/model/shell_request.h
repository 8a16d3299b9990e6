#pragma once
// What `ppcs-cluster shell` asks for, and the checks of it that need no cluster (pure). The session
// itself is jobs/shell_session.h.

#include <string>
#include <vector>

#include "common/result.h"

namespace ppcs::model {

struct ShellRequest {
    std::string cluster = "ppcs";
    int node = 0;                      // the node's slot (as in `status`); 0: the head
    std::vector<std::string> command;  // empty: a login shell
    bool tty = false;                  // a pseudo-terminal (only for interactive use)
    bool attachStdin = false;          // the client sends input
    int cols = 0;                      // the terminal's size; 0: leave the engine's default
    int rows = 0;
    std::string term;  // TERM for the shell; empty: xterm
};

inline constexpr int kMaxTerminalSide = 10000;

// Checks what needs no cluster: a valid cluster name, node 0-99999, sizes 0-kMaxTerminalSide,
// TERM of letters, digits and ".+-_" (at most 64), a command of at most 4096 words without NUL
// bytes, and a TTY only with input.
Status validateShellRequest(const ShellRequest& request);

}  // namespace ppcs::model
