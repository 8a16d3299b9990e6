#pragma once
// The pure parts of turning a run request (model/job.h) into a launch: which kind of program it
// names, and the launcher's argv for the cluster's MPI (an argv vector end to end: user arguments
// are never passed through a shell).

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "model/job.h"
#include "model/mpi.h"

namespace ppcs::jobs {

using model::JobRequest;
using model::parseEnvFile;
using model::shippedExamples;
using model::validateJobRequest;

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

// The launcher's argv for np ranks of programArgv over hostfile (the job's members, totalSlots
// slots on `hosts` members, in the format jobHostfileFormat names), every rank started in workdir
// (when given) with request.env exported. Open MPI: mpirun; MPICH: hydra's mpiexec over ssh (the
// members' ssh masters), which places ranks by the hostfile's slots as mpirun does. Fails
// (usage) when NP is not positive, or more than the slots (or per-node places) without
// oversubscription.
Result<std::vector<std::string>> buildLauncherArgv(model::MpiKind mpi, const JobRequest& request, int totalSlots, int hosts,
                                                   const std::string& hostfile, const std::vector<std::string>& programArgv,
                                                   const std::string& workdir = "");

// The argv that starts launcherArgv in folder after making folder (and its parents) and writing
// text into its file hostfileName: one exec does what an archive upload and the launcher's exec
// did, so a job starts with no engine call but its launcher's exec. A fixed script: the folder,
// the file's name and text and the launcher's argv are its positional arguments, never parsed by
// a shell. The launcher replaces the script (its exit code is the exec's); a folder that cannot be
// made or a file that cannot be written ends it with exit 1 and the reason on stderr. An argv
// string over kMostArgvString bytes would not reach the process: the caller writes such a
// hostfile some other way.
std::vector<std::string> launchInFolderArgv(const std::string& folder, const std::string& hostfileName,
                                            const std::string& hostfileText, const std::vector<std::string>& launcherArgv);
// Linux's limit on one argv string (MAX_ARG_STRLEN, 128 KiB), with room to spare.
inline constexpr std::size_t kMostArgvString = 64 * 1024;

// The process names of every MPI's launcher, as `pkill -x` takes them (an extended regular
// expression): stopping a job needs no knowledge of which MPI started it.
inline constexpr const char* kLauncherProcessNames = "mpirun|mpiexec|mpiexec.hydra";

// The compiler wrapper of a source kind, the same name for both MPIs: mpicc, mpicxx, mpifort.
std::string compilerWrapper(ProgramKind kind);

// Where the ranks of job `jobDir` start: request.workdir (relative ones under jobDir), else
// defaultDir.
std::string rankWorkdir(const JobRequest& request, const std::string& jobDir, const std::string& defaultDir);

}  // namespace ppcs::jobs
