#include "jobs/job_runner.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <ctime>
#include <regex>
#include <thread>

#include "cluster/hosts.h"
#include "cluster/spec.h"
#include "common/files.h"
#include "common/clock.h"
#include "common/strings.h"
#include "common/tar.h"

namespace ppcs::jobs {
namespace {

using Clock = std::chrono::steady_clock;
constexpr unsigned kMpiUid = 1000;
constexpr std::size_t kMaxUploadBytes = 256 * 1024 * 1024;


std::string jobDir(std::int64_t id) { return std::string(cluster::kSharedDir) + "/jobs/" + std::to_string(id); }

// Adds path (a file, or a directory tree of plain files) to tar under prefix. Links and special
// files are refused, so nothing outside what the user named is copied.
Status addLocalTree(TarWriter& tar, const std::string& path, const std::string& prefix, std::size_t& total) {
    struct stat info {};
    if (::lstat(path.c_str(), &info) != 0) return makeError(ErrorCode::usage, "'" + path + "' does not exist");
    if (S_ISREG(info.st_mode)) {
        auto content = readFile(path);
        if (!content) return content.error();
        total += content->size();
        if (total > kMaxUploadBytes) return makeError(ErrorCode::usage, "'" + path + "': more than 256 MiB to copy");
        return tar.add({TarEntry::Kind::file, prefix, *content, (info.st_mode & 0111) ? 0755u : 0644u, kMpiUid, kMpiUid});
    }
    if (!S_ISDIR(info.st_mode)) return makeError(ErrorCode::usage, "'" + path + "' is a link or special file: only plain files are copied");
    if (auto added = tar.add({TarEntry::Kind::directory, prefix, "", 0755, kMpiUid, kMpiUid}); !added) return added;
    std::vector<std::string> names;
    if (DIR* dir = ::opendir(path.c_str())) {
        while (dirent* entry = ::readdir(dir))
            if (std::string(entry->d_name) != "." && std::string(entry->d_name) != "..") names.push_back(entry->d_name);
        ::closedir(dir);
    }
    std::sort(names.begin(), names.end());
    for (const auto& name : names)
        if (auto added = addLocalTree(tar, path + "/" + name, prefix + "/" + name, total); !added) return added;
    return {};
}

// Runs argv in the head as mpiuser, handing each piece of output to onOutput(isErr, piece);
// returns the exit code.
Result<int> runInHead(docker::EngineClient& engine, const std::string& head, const std::vector<std::string>& argv, const std::string& workDir,
                      const std::function<void(bool, std::string_view)>& onOutput) {
    return engine.runExecStreaming(head, {argv, cluster::kMpiUser, {}, workDir}, [&](docker::OutputStream which, std::string_view piece) {
        onOutput(which == docker::OutputStream::err, piece);
        return true;
    }, std::chrono::hours(24 * 7));
}

}  // namespace

void RunningJobs::started(const std::string& cluster, std::atomic<bool>* cancelFlag) {
    std::lock_guard<std::mutex> lock(mutex_);
    flags_[cluster] = cancelFlag;
}

void RunningJobs::ended(const std::string& cluster) {
    std::lock_guard<std::mutex> lock(mutex_);
    flags_.erase(cluster);
    reasons_.erase(cluster);
}

bool RunningJobs::cancel(const std::string& cluster, const std::string& reason) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto flag = flags_.find(cluster);
    if (flag == flags_.end()) return false;
    if (!reason.empty()) reasons_[cluster] = reason;
    *flag->second = true;
    return true;
}

std::string RunningJobs::reason(const std::string& cluster) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto found = reasons_.find(cluster);
    return found == reasons_.end() ? "" : found->second;
}

std::string describeCrash(const std::string& mpirunStderr, const std::vector<cluster::Member>& members) {
    static const std::regex crash(R"(process rank (\d+) with PID \d+ on node (\S+) exited on signal (\d+) \(([^)]*)\))");
    std::smatch match;
    if (!std::regex_search(mpirunStderr, match, crash)) return "";
    std::string node = match[2];
    for (const auto& member : members)
        if (member.address == node || member.hostname == node) node = member.hostname + " (" + member.address + ")";
    return "rank " + match[1].str() + " on " + node + " was killed by signal " + match[3].str() + " (" + match[4].str() + ")";
}

Result<std::vector<std::string>> JobRunner::prepareProgram(const JobRequest& request, const ResolvedProgram& program,
                                                           const std::vector<cluster::Member>& members, std::int64_t id, const JobEvents& events) {
    const std::string& head = members.front().containerId;
    std::vector<std::string> argv;
    switch (program.kind) {
        case ProgramKind::example:
        case ProgramKind::imagePath:
        case ProgramKind::command:
            argv.push_back(program.name);
            argv.insert(argv.end(), request.args.begin(), request.args.end());
            return argv;
        default: break;
    }
    TarWriter tar;
    std::size_t total = 0;
    std::string relative = "jobs/" + std::to_string(id);
    if (auto added = tar.add({TarEntry::Kind::directory, "jobs", "", 0755, kMpiUid, kMpiUid}); !added) return added.error();
    if (auto added = tar.add({TarEntry::Kind::directory, relative, "", 0755, kMpiUid, kMpiUid}); !added) return added.error();
    if (auto added = addLocalTree(tar, request.localPath, relative + "/" + program.name, total); !added) return added.error();
    if (auto copied = engine_.putArchive(head, cluster::kSharedDir, tar.finish()); !copied) return copied.error().context("copy " + program.name);
    std::string dir = jobDir(id);
    std::string source = dir + "/" + program.name;
    // Build output goes to stderr, whichever stream the compiler used: stdout is the program's.
    auto compileWith = [&](std::vector<std::string> compile, const std::string& what) -> Status {
        events("job", what);
        auto code = runInHead(engine_, head, compile, dir, [&](bool, std::string_view piece) {
            events("stderr", std::string(piece));
            store_.appendOutput(id, true, std::string(piece));
        });
        if (!code) return code.error();
        if (*code != 0) return makeError(ErrorCode::failed, what + " failed (exit " + std::to_string(*code) + ")");
        return {};
    };
    std::string stem = program.name.substr(0, program.name.rfind('.'));
    if (program.kind == ProgramKind::python) {
        argv = {"python3", source};
    } else if (program.kind == ProgramKind::makeDirectory) {
        if (auto built = compileWith({"make", "-C", source}, "make in " + program.name); !built) return built.error();
        std::string exe = request.exe.empty() ? program.name : request.exe;
        auto present = engine_.runExec(head, {{"test", "-x", source + "/" + exe}, cluster::kMpiUser, {}, ""});
        if (!present) return present.error();
        if (present->exitCode != 0)
            return makeError(ErrorCode::usage, "make did not build '" + exe + "' in " + program.name + ": name the program with --exe");
        argv = {source + "/" + exe};
    } else {
        std::string compiler = program.kind == ProgramKind::cSource ? "mpicc" : "mpicxx";
        if (auto built = compileWith({compiler, "-O2", "-o", dir + "/" + stem, source}, compiler + " " + program.name); !built) return built.error();
        argv = {dir + "/" + stem};
    }
    // The shared folder is a volume per host: members on other hosts get their own copy.
    if (auto copied = cluster::replicateSharedFiles(engine_, members, {relative}); !copied) return copied.error().context("distribute " + program.name);
    argv.insert(argv.end(), request.args.begin(), request.args.end());
    return argv;
}

Status stopJobEverywhere(docker::EngineClient& engine, const std::vector<cluster::Member>& members) {
    const std::string& head = members.front().containerId;
    engine.runExec(head, {{"pkill", "-TERM", "-x", "mpirun"}, "root", {}, ""});
    for (int poll = 0; poll < 50; ++poll) {
        auto left = engine.runExec(head, {{"pgrep", "-x", "mpirun"}, "root", {}, ""});
        if (left && left->exitCode != 0) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    engine.runExec(head, {{"pkill", "-KILL", "-x", "mpirun"}, "root", {}, ""});
    // Whatever mpiuser still runs on any member but sshd is a leftover of the job: a fixed
    // script, no user input in it.
    const std::vector<std::string> sweep{"sh", "-c",
                                         "for p in $(pgrep -u mpiuser); do c=$(cat /proc/$p/comm 2>/dev/null); "
                                         "case \"$c\" in sshd|ssh) ;; *) kill -KILL \"$p\" 2>/dev/null;; esac; done; true"};
    // Every member is swept, through its own host's engine, even when one fails: a member that
    // died has nothing left to stop. Members on hosts ppcsd cannot reach lose their ssh link to
    // mpirun, which ends what it started there.
    auto hosts = cluster::HostEngines::discover(engine);
    Status first;
    for (const auto& member : members) {
        auto* hostEngine = hosts ? hosts->engineFor(member.nodeId) : &engine;
        if (!hostEngine) continue;
        auto swept = hostEngine->runExec(member.containerId, {sweep, "root", {}, ""}, std::chrono::seconds(30));
        if (!swept && first && swept.error().code != ErrorCode::conflict && swept.error().code != ErrorCode::notFound) first = swept.error();
    }
    return first;
}

namespace {

// Which kind of program the request names, looking at its local path on this host.
Result<ResolvedProgram> resolveOnThisHost(const JobRequest& request) {
    struct stat info {};
    bool exists = !request.localPath.empty() && ::stat(request.localPath.c_str(), &info) == 0;
    if (!request.localPath.empty() && !exists) return makeError(ErrorCode::usage, "'" + request.program + "' does not exist");
    bool isFile = exists && S_ISREG(info.st_mode);
    bool isMakeDir = exists && S_ISDIR(info.st_mode) && ::stat((request.localPath + "/Makefile").c_str(), &info) == 0;
    return resolveProgram(request, isFile, isMakeDir);
}

JobOutcome outcomeOf(std::int64_t id, const JobRequest& request, const LaunchResult& launch, const std::vector<cluster::Member>& members) {
    JobOutcome outcome;
    outcome.id = id;
    outcome.exitCode = launch.exitCode;
    if (!launch.lostNode.empty()) {
        outcome.state = "failed";
        outcome.exitCode = launch.exitCode != 0 ? launch.exitCode : 1;
        outcome.message = "lost " + launch.lostNode + " and was stopped on every other node";
    } else if (launch.timedOut) {
        outcome.state = "timed-out";
        outcome.exitCode = 124;
        outcome.message = "ran past its --timeout of " + std::to_string(request.timeoutSeconds) + " s and was stopped on every node";
    } else if (launch.cancelled) {
        outcome.state = "cancelled";
        outcome.exitCode = 130;
        outcome.message = "was cancelled and stopped on every node";
    } else {
        outcome.state = launch.exitCode == 0 ? "finished" : "failed";
        outcome.message = describeCrash(launch.mpirunErr, members);
    }
    return outcome;
}

}  // namespace

Result<LaunchResult> JobRunner::supervise(const JobRequest& request, const std::vector<cluster::Member>& members, const std::vector<std::string>& argv,
                                          std::int64_t id, const JobEvents& events) {
    auto started = Clock::now();
    std::atomic<bool> cancel{false};
    std::atomic<bool> timedOut{false};
    std::atomic<bool> done{false};
    running_.started(request.cluster, &cancel);
    // Cancel (Ctrl-C in the CLI) and --timeout both end in stopJobEverywhere, from this thread.
    std::thread watchdog([&] {
        auto deadline = started + std::chrono::seconds(request.timeoutSeconds);
        while (!done && !cancel) {
            if (request.timeoutSeconds > 0 && Clock::now() >= deadline) {
                timedOut = true;
                cancel = true;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        if (cancel && !done) stopJobEverywhere(engine_, members);
    });
    LaunchResult launch;
    auto code = runInHead(engine_, members.front().containerId, argv, cluster::kSharedDir, [&](bool isErr, std::string_view piece) {
        if (isErr && launch.mpirunErr.size() < 65536) launch.mpirunErr.append(piece);
        events(isErr ? "stderr" : "stdout", std::string(piece));
        store_.appendOutput(id, isErr, std::string(piece));
    });
    done = true;
    watchdog.join();
    if (!code) {
        running_.ended(request.cluster);
        return code.error();
    }
    launch.exitCode = *code;
    launch.cancelled = cancel;
    launch.timedOut = timedOut;
    launch.lostNode = running_.reason(request.cluster);
    running_.ended(request.cluster);
    return launch;
}

Result<JobOutcome> JobRunner::run(const JobRequest& request, const std::vector<cluster::Member>& members, const JobEvents& events) {
    if (members.empty() || members.front().role != "head") return makeError(ErrorCode::unavailable, "cluster '" + request.cluster + "' has no head running");
    int totalSlots = 0;
    for (const auto& member : members) totalSlots += member.ready ? member.slots : 0;
    auto program = resolveOnThisHost(request);
    if (!program) return program.error();
    // NP is checked before anything is recorded or copied.
    if (auto checked = buildMpirunArgv(request, totalSlots, static_cast<int>(members.size()), {program->name}); !checked) return checked.error();

    JobRecord record{0, request.cluster, (request.isCommand ? "-- " : "") + request.program, request.args, request.np > 0 ? request.np : totalSlots,
                     utcTimestamp()};
    auto id = store_.start(record);
    if (!id) return id.error();
    events("job-id", std::to_string(*id));
    auto started = Clock::now();
    auto secondsSoFar = [&] { return std::chrono::duration<double>(Clock::now() - started).count(); };
    auto failed = [&](const Error& error) -> Result<JobOutcome> {
        store_.finish(*id, "failed", std::nullopt, secondsSoFar(), error.message);
        return error.context("job " + std::to_string(*id));
    };
    auto programArgv = prepareProgram(request, *program, members, *id, events);
    if (!programArgv) return failed(programArgv.error());
    auto argv = buildMpirunArgv(request, totalSlots, static_cast<int>(members.size()), *programArgv);
    if (!argv) return failed(argv.error());
    events("job", "job " + std::to_string(*id) + ": " + join(*argv, " "));
    auto launch = supervise(request, members, *argv, *id, events);
    if (!launch) return failed(launch.error());
    JobOutcome outcome = outcomeOf(*id, request, *launch, members);
    outcome.seconds = secondsSoFar();
    store_.finish(*id, outcome.state, outcome.exitCode, outcome.seconds, outcome.message);
    return outcome;
}

}  // namespace ppcs::jobs
