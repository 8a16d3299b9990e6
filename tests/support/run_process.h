#pragma once
// Runs a program with an argv vector (no shell), extra environment variables and a time limit,
// and returns its exit code and both output streams.

#include <map>
#include <string>
#include <vector>

namespace ppcs::testing {

struct ProcessResult {
    int exitCode = -1;
    std::string out;
    std::string err;
    bool timedOut = false;
};

ProcessResult runProcess(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env = {},
                         int timeLimitSeconds = 120);

}  // namespace ppcs::testing
