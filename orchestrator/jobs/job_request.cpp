#include "jobs/job_request.h"

#include <algorithm>
#include <cctype>
#include <optional>

#include "common/files.h"
#include "common/strings.h"

namespace ppcs::jobs {
namespace {

// What ppcs builds from a local file or directory; nothing when it is neither a known source nor a
// directory with a Makefile.
std::optional<ProgramKind> localProgramKind(const std::string& name, bool isRegularFile, bool isDirectoryWithMakefile) {
    if (isDirectoryWithMakefile) return ProgramKind::makeDirectory;
    if (!isRegularFile) return std::nullopt;
    if (endsWith(name, ".c")) return ProgramKind::cSource;
    if (endsWith(name, ".cc") || endsWith(name, ".cpp")) return ProgramKind::cxxSource;
    if (endsWith(name, ".py")) return ProgramKind::python;
    for (const char* suffix : {".f", ".f90", ".f95", ".f03", ".f08", ".F", ".F90"})
        if (endsWith(name, suffix)) return ProgramKind::fortranSource;
    return std::nullopt;
}

}  // namespace

std::string rankWorkdir(const JobRequest& request, const std::string& jobDir, const std::string& defaultDir) {
    if (request.workdir.empty()) return defaultDir;
    return request.workdir.front() == '/' ? request.workdir : jobDir + "/" + request.workdir;
}

// A directory without a Makefile: its entry script, named by --exe or its only .py file.
Result<ResolvedProgram> scriptDirectory(const JobRequest& request, const std::string& name,
                                        const std::vector<std::string>& scripts) {
    if (!request.exe.empty()) {
        if (std::find(scripts.begin(), scripts.end(), request.exe) == scripts.end())
            return makeError(ErrorCode::usage,
                             "'" + request.program + "' has no Python script '" + request.exe + "' (and no Makefile)");
        return ResolvedProgram{ProgramKind::scriptDirectory, name, request.exe};
    }
    if (scripts.size() == 1) return ResolvedProgram{ProgramKind::scriptDirectory, name, scripts.front()};
    if (scripts.empty())
        return makeError(ErrorCode::usage, "'" + request.program + "' is a local directory without a Makefile or a .py script");
    return makeError(ErrorCode::usage, "'" + request.program + "' holds " + std::to_string(scripts.size()) + " .py scripts (" +
                                           join(scripts, ", ") + ") and no Makefile: name the one to run with --exe");
}

Result<ResolvedProgram> resolveProgram(const JobRequest& request, bool isRegularFile, bool isDirectoryWithMakefile,
                                       const std::optional<std::vector<std::string>>& directoryScripts) {
    if (request.isCommand) return ResolvedProgram{ProgramKind::command, request.program};
    const auto& examples = shippedExamples();
    if (std::find(examples.begin(), examples.end(), request.program) != examples.end())
        return ResolvedProgram{ProgramKind::example, request.program};
    if (!request.localPath.empty()) {
        std::string name = baseName(request.localPath);
        if (auto kind = localProgramKind(name, isRegularFile, isDirectoryWithMakefile)) return ResolvedProgram{*kind, name};
        if (directoryScripts && (request.program.front() != '/' || !directoryScripts->empty()))
            return scriptDirectory(request, name, *directoryScripts);
    }
    // Checked after the local kinds, yet whatever else the host has at this path does not matter:
    // `run /bin/hostname` means the image's binary even though this host has one too.
    if (request.program.front() == '/') return ResolvedProgram{ProgramKind::imagePath, request.program};
    if (!request.localPath.empty()) {
        if (isRegularFile)
            return makeError(
                ErrorCode::usage,
                "'" + request.program + "' is a local file but not a .c, .cc, .cpp, Fortran (.f, .f90, ...) or .py source");
        return makeError(ErrorCode::usage, "'" + request.program + "' is a local directory without a Makefile");
    }
    return makeError(ErrorCode::usage, "unknown program '" + request.program + "': run one of " + join(examples, ", ") +
                                           ", a local C, C++, Fortran or Python file, a directory with a Makefile, an absolute "
                                           "path in the image, or -- CMD ARGS");
}

namespace {

Status checkPlacement(const JobRequest& request, int np, int totalSlots, int hosts) {
    if (np < 1) return makeError(ErrorCode::usage, "the cluster has no ready slots");
    if (np > totalSlots && !request.oversubscribe)
        return makeError(ErrorCode::usage, "-n " + std::to_string(np) + " is more than the cluster's " +
                                               std::to_string(totalSlots) + " slots: add --oversubscribe to run anyway");
    if (request.perNode > 0 && static_cast<long>(request.perNode) * hosts < np)
        return makeError(ErrorCode::usage, "-n " + std::to_string(np) + " does not fit " + std::to_string(request.perNode) +
                                               " per node on " + std::to_string(hosts) + " hosts");
    return {};
}

std::vector<std::string> mpirunArgv(const JobRequest& request, int np, const std::string& hostfile, const std::string& workdir) {
    std::vector<std::string> argv{"mpirun", "-n", std::to_string(np), "--hostfile", hostfile};
    if (request.oversubscribe) argv.push_back("--oversubscribe");
    if (request.perNode > 0) argv.insert(argv.end(), {"--map-by", "ppr:" + std::to_string(request.perNode) + ":node"});
    if (request.tagOutput) argv.push_back("--tag-output");
    if (!workdir.empty()) argv.insert(argv.end(), {"--wdir", workdir});
    for (const auto& entry : request.env) argv.insert(argv.end(), {"-x", entry});
    return argv;
}

// Hydra fills each host's slots in hostfile order, wrapping around when NP is larger (it never
// refuses oversubscription: checkPlacement does). Environment: hydra passes its own on to every
// rank; -genv sets NAME=VALUE, -genvlist names a variable of the launch's environment.
std::vector<std::string> hydraArgv(const JobRequest& request, int np, const std::string& hostfile, const std::string& workdir) {
    std::vector<std::string> argv{"mpiexec", "-launcher", "ssh", "-f", hostfile, "-n", std::to_string(np)};
    if (request.perNode > 0) argv.insert(argv.end(), {"-ppn", std::to_string(request.perNode)});
    if (request.tagOutput) argv.push_back("-prepend-rank");
    if (!workdir.empty()) argv.insert(argv.end(), {"-wdir", workdir});
    for (const auto& entry : request.env) {
        auto equals = entry.find('=');
        if (equals == std::string::npos)
            argv.insert(argv.end(), {"-genvlist", entry});
        else
            argv.insert(argv.end(), {"-genv", entry.substr(0, equals), entry.substr(equals + 1)});
    }
    return argv;
}

}  // namespace

Result<std::vector<std::string>> buildLauncherArgv(model::MpiKind mpi, const JobRequest& request, int totalSlots, int hosts,
                                                   const std::string& hostfile, const std::vector<std::string>& programArgv,
                                                   const std::string& workdir) {
    int np = request.np > 0 ? request.np : totalSlots;
    if (auto placed = checkPlacement(request, np, totalSlots, hosts); !placed) return placed.error();
    auto argv =
        mpi == model::MpiKind::mpich ? hydraArgv(request, np, hostfile, workdir) : mpirunArgv(request, np, hostfile, workdir);
    argv.insert(argv.end(), programArgv.begin(), programArgv.end());
    return argv;
}

std::vector<std::string> launchInFolderArgv(const std::string& folder, const std::string& hostfileName,
                                            const std::string& hostfileText, const std::vector<std::string>& launcherArgv) {
    // mkdir and the redirection say why they failed on stderr; `exec` keeps the launcher's pid
    // and exit code, and its name for the job's stop (kLauncherProcessNames).
    static const std::string script =
        "dir=$1 name=$2 text=$3; shift 3\n"
        "mkdir -p -- \"$dir\" && cd -- \"$dir\" && printf '%s' \"$text\" > \"$name\" || exit 1\n"
        "exec \"$@\"";
    std::vector<std::string> argv{"sh", "-c", script, "ppcs-launch", folder, hostfileName, hostfileText};
    argv.insert(argv.end(), launcherArgv.begin(), launcherArgv.end());
    return argv;
}

std::string compilerWrapper(ProgramKind kind) {
    switch (kind) {
        case ProgramKind::cSource:
            return "mpicc";
        case ProgramKind::fortranSource:
            return "mpifort";
        default:
            return "mpicxx";
    }
}

}  // namespace ppcs::jobs
