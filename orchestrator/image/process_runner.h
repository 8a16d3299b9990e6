#pragma once
// The seam between ppcs and local child processes (debootstrap, tar). Arguments are always an argv
// vector: nothing is ever passed through a shell.

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"

namespace ppcs::image {

struct ProcessSpec {
    std::vector<std::string> argv;        // argv[0] is looked up on PATH when it has no '/'
    std::chrono::seconds timeLimit{900};  // the child's process group is stopped when it runs longer
};

struct ProcessOutcome {
    int exitCode = -1;
    std::string lastLines;  // the last few lines of combined output, for error messages
};

// Receives each line of the child's combined stdout and stderr as it is printed.
using LineSink = std::function<void(const std::string& line)>;

class ProcessRunner {
public:
    virtual ~ProcessRunner() = default;
    // The child runs in a process group of its own. Fails with ErrorCode::notFound when argv[0] cannot
    // be found, ErrorCode::timeout when the time limit ran out: then the whole group (the child and
    // every descendant that stayed in it) gets SIGTERM, and SIGKILL after a grace of a few seconds.
    // A non-zero exit is not an error here: see exitCode.
    virtual Result<ProcessOutcome> run(const ProcessSpec& spec, const LineSink& onLine) = 0;
};

std::unique_ptr<ProcessRunner> makeProcessRunner();

}  // namespace ppcs::image
