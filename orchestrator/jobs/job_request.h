#pragma once
// What `ppcs-cluster run` asks for, and the pure parts of turning it into a launch: which kind of
// program it names, and the mpirun argv (an argv vector end to end: user arguments are never
// passed through a shell).

#include <string>
#include <vector>

#include "common/result.h"

namespace ppcs::jobs {

struct JobRequest {
    std::string cluster = "ppcs";
    std::string program;               // as the user typed it; with isCommand, argv[0] of the command
    bool isCommand = false;            // `run -- CMD ARGS...`: run exactly this, no resolution
    std::string localPath;             // absolute path on ppcsd's host when PROGRAM named a local file or directory
    std::vector<std::string> args;
    int np = 0;                        // 0: the cluster's total slots
    int perNode = 0;                   // 0: Open MPI's default mapping
    bool oversubscribe = false;
    bool tagOutput = false;
    int timeoutSeconds = 0;            // 0: no limit
    std::string exe;                   // for a directory: the program make builds (default: the directory's name)
};

// The example programs shipped in the node image, on its PATH.
const std::vector<std::string>& shippedExamples();

enum class ProgramKind { example, cSource, cxxSource, python, makeDirectory, imagePath, command };

struct ResolvedProgram {
    ProgramKind kind = ProgramKind::example;
    std::string name;                  // example name, file or directory base name, or image path
};

// In this order: a shipped example; a local .c, .cc/.cpp or .py file; a local directory holding a
// Makefile; an absolute path inside the image, even when this host has some other file or directory
// at that path (`run /bin/hostname` runs the image's hostname). Anything else is a usage error that
// lists what is available. isRegularFile / isDirectoryWithMakefile describe request.localPath.
Result<ResolvedProgram> resolveProgram(const JobRequest& request, bool isRegularFile, bool isDirectoryWithMakefile);

// mpirun's argv for np ranks of programArgv over hostfile (the job's members, totalSlots slots on
// `hosts` members). Fails (usage) when NP is not positive, or more than the slots (or per-node
// places) without oversubscription.
Result<std::vector<std::string>> buildMpirunArgv(const JobRequest& request, int totalSlots, int hosts, const std::string& hostfile,
                                                 const std::vector<std::string>& programArgv);

// Checks the parts of a request that need no cluster: numbers in range, names without path tricks.
Status validateJobRequest(const JobRequest& request);

}  // namespace ppcs::jobs
