#pragma once
// What `ppcs-cluster run` asks for, and the pure parts of turning it into a launch: which kind of
// program it names, and the mpirun argv (an argv vector end to end: user arguments are never
// passed through a shell).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace ppcs::jobs {

struct JobRequest {
    std::string cluster = "ppcs";
    std::string program;     // as the user typed it; with isCommand, argv[0] of the command
    bool isCommand = false;  // `run -- CMD ARGS...`: run exactly this, no resolution
    std::string localPath;   // absolute path on ppcsd's host when PROGRAM named a local file or directory
    std::vector<std::string> args;
    int np = 0;       // 0: the cluster's total slots
    int perNode = 0;  // 0: Open MPI's default mapping
    bool oversubscribe = false;
    bool tagOutput = false;
    int timeoutSeconds = 0;        // 0: no limit
    std::string exe;               // for a directory: the program make builds (default: the directory's name)
    std::vector<std::string> env;  // "NAME=VALUE" for every rank and the build, verbatim (never through a shell)
    std::string workdir;           // where every rank starts: absolute, or relative to the job's folder; empty: the job's folder
    std::string outputDir;         // absolute, on ppcsd's host: the job's folder is copied there when it ends; empty: not copied
};

// The example programs shipped in the node image, on its PATH.
const std::vector<std::string>& shippedExamples();

enum class ProgramKind { example, cSource, cxxSource, fortranSource, python, makeDirectory, scriptDirectory, imagePath, command };

struct ResolvedProgram {
    ProgramKind kind = ProgramKind::example;
    std::string name;   // example name, file or directory base name, or image path
    std::string entry;  // scriptDirectory: the .py script it runs, in the directory
};

// In this order: a shipped example; a local C (.c), C++ (.cc/.cpp), Fortran (.f/.f90/.f95/.f03/
// .f08/.F/.F90) or Python (.py) file; a local directory holding a
// Makefile; a local directory without one whose entry is a Python script (its only candidate
// script, or the one --exe names: the whole directory is shipped, so sibling modules import); an
// absolute path inside the image, even when this host has some other file or directory at that
// path (`run /bin/hostname` runs the image's hostname). Anything else is a usage error that lists
// what is available. isRegularFile / isDirectoryWithMakefile describe request.localPath;
// directoryScripts, for a directory without a Makefile, the top-level .py files that may be its
// entry (the runner keeps those with a `__main__` guard when there are several).
Result<ResolvedProgram> resolveProgram(const JobRequest& request, bool isRegularFile, bool isDirectoryWithMakefile,
                                       const std::optional<std::vector<std::string>>& directoryScripts = std::nullopt);

// mpirun's argv for np ranks of programArgv over hostfile (the job's members, totalSlots slots on
// `hosts` members), every rank started in workdir (when given) with request.env exported. Fails (usage) when NP is not positive,
// or more than the slots (or per-node places) without oversubscription.
Result<std::vector<std::string>> buildMpirunArgv(const JobRequest& request, int totalSlots, int hosts,
                                                 const std::string& hostfile, const std::vector<std::string>& programArgv,
                                                 const std::string& workdir = "");

// Checks the parts of a request that need no cluster: numbers in range, names without path tricks,
// environment entries NAME=VALUE with NAME a shell-style identifier, a workdir without "..".
Status validateJobRequest(const JobRequest& request);

// The entries of an environment file: one NAME=VALUE per line, taken verbatim after the first '='
// (no quotes, no expansion); blank lines and lines starting with '#' are skipped. A line without
// '=' or with a bad name fails (usage), naming its line number.
Result<std::vector<std::string>> parseEnvFile(std::string_view text);

// Where the ranks of job `jobDir` start: request.workdir (relative ones under jobDir), else
// defaultDir.
std::string rankWorkdir(const JobRequest& request, const std::string& jobDir, const std::string& defaultDir);

}  // namespace ppcs::jobs
