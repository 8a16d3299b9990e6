#pragma once
// `ppcs-cluster shell`: a process run as mpiuser in a member's shared folder through the exec API,
// attached both ways (a login shell on a TTY, or one command with stdout and stderr apart). Open
// MPI there behaves as in `run`: ~mpiuser/.openmpi/mca-params.conf pins the overlay and names the
// cluster's hostfile as the default one, so a plain `mpirun` spans the ready members.
//
// Every process of a session carries PPCS_SHELL_SESSION=<id> in its environment, so that a session
// whose client went away can be ended whole: Docker leaves an exec's processes running when its
// attached connection closes, TTY or not.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "docker/engine.h"
#include "model/shell_request.h"

namespace ppcs::jobs {

using model::kMaxTerminalSide;
using model::ShellRequest;
using model::validateShellRequest;

// The environment a session's processes get (besides the container's): the login variables of
// mpiuser, TERM, PPCS_CLUSTER and the session marker.
std::vector<std::string> shellEnvironment(const ShellRequest& request, const std::string& sessionId);

struct ShellOutput {
    bool isErr = false;  // stderr of a command without TTY
    std::string bytes;
};

// One running session. readOutput is called from one thread while writeInput, closeInput, resize
// and abandon are called from another.
class ShellProcess {
public:
    virtual ~ShellProcess() = default;
    // Blocks for the next output; nullopt once the process closed its output (it ended).
    virtual Result<std::optional<ShellOutput>> readOutput() = 0;
    virtual Status writeInput(std::string_view bytes) = 0;
    // End of input: the process reads end of file.
    virtual void closeInput() = 0;
    virtual Status resize(int cols, int rows) = 0;
    // After readOutput gave nullopt: the process's exit status.
    virtual Result<int> exitCode() = 0;
    // The client went away: ends the process and all it started in the container, and unblocks
    // readOutput. Bounded in time; failures are logged.
    virtual void abandon() = 0;
};

// Starts request's session in containerId through engine (the member's own host's engine):
// creates the exec, starts it attached and, with a TTY, sets its size. Nothing is left running
// when this fails.
Result<std::unique_ptr<ShellProcess>> openShell(std::shared_ptr<docker::Engine> engine, const std::string& containerId,
                                                const ShellRequest& request);

// The argv of the exec (run as mpiuser) that ends every process of session `sessionId` in a
// container (HUP, then KILL what is left): a fixed script; the id is its argument, never part of
// the script.
std::vector<std::string> sessionSweepArgv(const std::string& sessionId);

}  // namespace ppcs::jobs
