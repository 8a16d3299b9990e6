#include "jobs/job_runner.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <regex>
#include <thread>

#include "cluster/hostfile.h"
#include "cluster/hosts.h"
#include "cluster/spec.h"
#include "common/clock.h"
#include "common/files.h"
#include "common/guarded.h"
#include "common/log.h"
#include "common/strings.h"
#include "jobs/local_upload.h"
#include "jobs/oom_report.h"
#include "jobs/placement.h"
#include "jobs/stderr_filter.h"

namespace ppcs::jobs {
namespace {

using Clock = std::chrono::steady_clock;

std::string jobDir(std::int64_t id) { return std::string(cluster::kSharedDir) + "/jobs/" + std::to_string(id); }
// The job's own hostfile, in its folder: exactly the members it runs on, whatever the cluster's
// hostfile says meanwhile (a heal rewrites that one).
constexpr const char* kJobHostfileName = ".ppcs-hostfile";

// The job's own hostfile: the members that hold its ranks, in the format of the cluster's MPI.
Result<std::string> renderJobHostfile(const std::string& cluster, const std::vector<cluster::Member>& members,
                                      model::MpiKind mpi) {
    auto ranks = rankMembers(members);
    std::vector<cluster::HostEntry> entries;
    for (const auto& member : ranks) entries.push_back({member.address, member.mpiSlots, member.hostname, member.containerId});
    return mpi == model::MpiKind::mpich ? cluster::renderHydraHostfile(entries) : cluster::renderMembersHostfile(cluster, ranks);
}

// The job's folder and hostfile, through the archive API.
Status uploadJobHostfile(docker::Engine& engine, const std::string& head, std::int64_t id, const std::string& hostfile) {
    std::string relative = "jobs/" + std::to_string(id);
    TarWriter tar;
    for (const auto& entry : {TarEntry{TarEntry::Kind::directory, "jobs", "", 0755, cluster::kMpiUserId, cluster::kMpiUserId},
                              TarEntry{TarEntry::Kind::directory, relative, "", 0755, cluster::kMpiUserId, cluster::kMpiUserId},
                              TarEntry{TarEntry::Kind::file, relative + "/" + kJobHostfileName, hostfile, 0644,
                                       cluster::kMpiUserId, cluster::kMpiUserId}})
        if (auto added = tar.add(entry); !added) return added;
    if (auto put = engine.putArchive(head, cluster::kSharedDir, tar.finish()); !put)
        return put.error().context("write the job's hostfile");
    return {};
}

// Whether the launcher's exec can make the job's folder and write its hostfile itself
// (launchInFolderArgv): when the folder is needed on the head only (every member shares the
// head's host: nothing copies the folder to other hosts before the launch) and the hostfile fits
// in an argv string.
bool hostfileGoesWithLauncher(const std::vector<cluster::Member>& members, const std::string& hostfile) {
    const std::string& host = members.front().dockerHostId;
    return hostfile.size() <= kMostArgvString &&
           std::all_of(members.begin(), members.end(),
                       [&host](const cluster::Member& member) { return member.dockerHostId == host; });
}

// Runs argv in the head as mpiuser, handing each piece of output to onOutput(isErr, piece);
// returns the exit code.
Result<int> runInHead(docker::Engine& engine, const std::string& head, const std::vector<std::string>& argv,
                      const std::string& workDir, const std::vector<std::string>& env,
                      const std::function<void(bool, std::string_view)>& onOutput) {
    return engine.runExecStreaming(
        head, {argv, cluster::kMpiUser, env, workDir},
        [&](docker::OutputStream which, std::string_view piece) {
            onOutput(which == docker::OutputStream::err, piece);
            return true;
        },
        std::chrono::hours(24 * 7));
}

// PPCS_JOB_ID=ID: in the environment of everything a job starts (its build, its launcher, the
// daemons the launcher starts over ssh, its ranks), so that stopping it finds exactly its processes.
std::string jobIdVariable(std::int64_t id) { return "PPCS_JOB_ID=" + std::to_string(id); }

// What prepareProgram returns when a stop was asked for: run() reports the stop's cause instead.
Error stoppedBeforeLaunch() { return makeError(ErrorCode::failed, "stopped before launch"); }

constexpr auto kWatchInterval = std::chrono::milliseconds(100);
// While a stop is asked for and the job has not ended, its processes are swept again this often:
// a launch that raced the first sweep is caught by the next.
constexpr auto kSweepInterval = std::chrono::seconds(2);

}  // namespace

void JobControl::requestStop(StopCause cause, const std::string& detail) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (cause_ != StopCause::none) return;
    cause_ = cause;
    detail_ = detail;
    stopRequested_ = true;
}

StopCause JobControl::cause() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return cause_;
}

std::string JobControl::detail() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return detail_;
}

void RunningJobs::started(std::int64_t id, const std::string& cluster, JobControl* control, std::set<std::string> members) {
    std::lock_guard<std::mutex> lock(mutex_);
    jobs_[id] = Entry{cluster, control, std::move(members)};
    if (closed_) control->requestStop(closed_->first, closed_->second);
}

void RunningJobs::ended(std::int64_t id) {
    std::lock_guard<std::mutex> lock(mutex_);
    jobs_.erase(id);
    if (jobs_.empty()) idle_.notify_all();
}

bool RunningJobs::stop(const std::string& cluster, StopCause cause, const std::string& detail) {
    return stopUsing(cluster, std::nullopt, cause, detail);
}

bool RunningJobs::stopUsing(const std::string& cluster, const std::optional<std::string>& member, StopCause cause,
                            const std::string& detail) {
    std::lock_guard<std::mutex> lock(mutex_);
    bool asked = false;
    for (auto& [id, entry] : jobs_) {
        if (entry.cluster != cluster) continue;
        if (member && !entry.members.empty() && !entry.members.count(*member)) continue;
        entry.control->requestStop(cause, detail);
        asked = true;
    }
    return asked;
}

std::size_t RunningJobs::stopAll(StopCause cause, const std::string& detail, bool close) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (close) closed_ = std::make_pair(cause, detail);
    for (auto& [id, entry] : jobs_) entry.control->requestStop(cause, detail);
    return jobs_.size();
}

bool RunningJobs::waitUntilIdle(std::chrono::milliseconds limit) {
    std::unique_lock<std::mutex> lock(mutex_);
    return idle_.wait_for(lock, limit, [this] { return jobs_.empty(); });
}

std::optional<CrashReport> findCrash(const std::string& mpirunStderr) {
    static const std::regex crash(R"(process rank (\d+) with PID \d+ on node (\S+) exited on signal (\d+) \(([^)]*)\))");
    // libstdc++'s regex recurses once per character it repeats over: only short lines that can be
    // Open MPI's report are searched, so no output a job prints can exhaust the stack.
    constexpr std::size_t kLongestReportLine = 512;
    std::smatch match;
    bool found = false;
    std::string line;
    for (std::size_t start = 0; start < mpirunStderr.size() && !found;) {
        std::size_t end = std::min(mpirunStderr.find('\n', start), mpirunStderr.size());
        if (end - start <= kLongestReportLine) {
            line = mpirunStderr.substr(start, end - start);
            found = line.find("exited on signal") != std::string::npos && std::regex_search(line, match, crash);
        }
        start = end + 1;
    }
    if (!found) return std::nullopt;
    return CrashReport{match[1].str(), match[2].str(), std::atoi(match[3].str().c_str()), match[4].str()};
}

bool crashNamesMember(const CrashReport& crash, const cluster::Member& member) {
    return crash.node == member.address || crash.node == member.hostname;
}

std::string describeCrash(const std::string& mpirunStderr, const std::vector<cluster::Member>& members) {
    auto crash = findCrash(mpirunStderr);
    if (!crash) return "";
    std::string node = crash->node;
    for (const auto& member : members)
        if (crashNamesMember(*crash, member)) node = member.hostname + " (" + member.address + ")";
    return "rank " + crash->rank + " on " + node + " was killed by signal " + std::to_string(crash->signal) + " (" +
           crash->signalName + ")";
}

Result<std::vector<std::string>> JobRunner::prepareProgram(const JobRequest& request, const ResolvedProgram& program,
                                                           const std::vector<cluster::Member>& members, std::int64_t id,
                                                           const JobEvents& events, const JobControl& control) {
    const std::string& head = members.front().containerId;
    std::vector<std::string> argv;
    switch (program.kind) {
        case ProgramKind::example:
        case ProgramKind::imagePath:
        case ProgramKind::command:
            argv.push_back(program.name);
            argv.insert(argv.end(), request.args.begin(), request.args.end());
            // Its ranks start in the job's folder, on every host.
            if (auto copied = cluster::replicateSharedFiles(engine_, members, {"jobs/" + std::to_string(id)}); !copied)
                return copied.error().context("make the job's folder on every host");
            return argv;
        default:
            break;
    }
    std::string relative = "jobs/" + std::to_string(id);
    LocalUpload upload{request.localPath, relative + "/" + program.name, {"jobs", relative}};
    if (auto copied = uploadLocalTree(engine_, head, cluster::kSharedDir, upload, [&control] { return control.stopRequested(); });
        !copied)
        return copied.error().context("copy " + program.name);
    if (control.stopRequested()) return stoppedBeforeLaunch();
    std::string dir = jobDir(id);
    std::string source = dir + "/" + program.name;
    // Build output goes to stderr, whichever stream the compiler used: stdout is the program's.
    auto compileWith = [&](std::vector<std::string> compile, const std::string& what) -> Status {
        if (control.stopRequested()) return stoppedBeforeLaunch();
        events(Phase::job, what);
        auto code = runInHead(engine_, head, compile, dir, request.env, [&](bool, std::string_view piece) {
            events(Phase::standardError, std::string(piece));
            recordOutput(id, true, piece, events);
        });
        // A stop kills the build's processes: its failure is the stop's doing, not the program's.
        if (control.stopRequested()) return stoppedBeforeLaunch();
        if (!code) return code.error();
        if (*code != 0) return makeError(ErrorCode::failed, what + " failed (exit " + std::to_string(*code) + ")");
        return {};
    };
    std::string stem = program.name.substr(0, program.name.rfind('.'));
    if (program.kind == ProgramKind::python) {
        argv = {"python3", source};
    } else if (program.kind == ProgramKind::scriptDirectory) {
        argv = {"python3", source + "/" + program.entry};
    } else if (program.kind == ProgramKind::makeDirectory) {
        if (auto built = compileWith({"make", "-C", source}, "make in " + program.name); !built) return built.error();
        std::string exe = request.exe.empty() ? program.name : request.exe;
        auto present = engine_.runExec(head, {{"test", "-x", source + "/" + exe}, cluster::kMpiUser, {}, ""});
        if (!present) return present.error();
        if (present->exitCode != 0)
            return makeError(ErrorCode::usage,
                             "make did not build '" + exe + "' in " + program.name + ": name the program with --exe");
        argv = {source + "/" + exe};
    } else {
        std::string compiler = compilerWrapper(program.kind);
        if (auto built = compileWith({compiler, "-O2", "-o", dir + "/" + stem, source}, compiler + " " + program.name); !built)
            return built.error();
        argv = {dir + "/" + stem};
    }
    if (control.stopRequested()) return stoppedBeforeLaunch();
    // The shared folder is a volume per host: members on other hosts get their own copy.
    if (auto copied = cluster::replicateSharedFiles(engine_, members, {relative}); !copied)
        return copied.error().context("distribute " + program.name);
    argv.insert(argv.end(), request.args.begin(), request.args.end());
    return argv;
}

namespace {

// Signals mpiuser's processes of one job (those that carry PPCS_JOB_ID=$2 in their environment),
// or of every job when $2 is empty, whose name matches the pgrep pattern $3 (any when empty), but
// never ssh or sshd (the members' shared ssh connections serve every job), nor the script itself
// (it runs as mpiuser). $1 is the signal, or `none` to only look. Exits 0 when some process
// matched. A fixed script: its arguments are a signal name, a job id and a constant.
constexpr const char* kSignalJobScript =
    "sig=$1 id=$2 names=$3 found=1\n"
    "for p in $(pgrep -u mpiuser ${names:+-x \"$names\"}); do\n"
    "  [ \"$p\" != $$ ] || continue\n"
    "  case \"$(cat /proc/$p/comm 2>/dev/null)\" in sshd|ssh) continue;; esac\n"
    "  [ -z \"$id\" ] || grep -qzx \"PPCS_JOB_ID=$id\" /proc/$p/environ 2>/dev/null || continue\n"
    "  found=0; [ \"$sig\" = none ] || kill -\"$sig\" \"$p\" 2>/dev/null\n"
    "done\n"
    "exit $found";

docker::ExecSpec signalJob(const char* signal, const std::optional<std::int64_t>& id, const std::string& names) {
    // As mpiuser: root in a member lacks CAP_SYS_PTRACE, so it may not read another user's environ.
    return {{"sh", "-c", kSignalJobScript, "sh", signal, id ? std::to_string(*id) : "", names}, cluster::kMpiUser, {}, ""};
}

}  // namespace

Status stopJobEverywhere(docker::Engine& engine, const std::vector<cluster::Member>& members, std::optional<std::int64_t> id) {
    const std::string& head = members.front().containerId;
    // TERM, then KILL, to the job's launcher (either MPI's) in the head; should the head be gone,
    // so is the launcher, and the sweep below reports what could not be reached.
    (void)engine.runExec(head, signalJob("TERM", id, kLauncherProcessNames));
    for (int poll = 0; poll < 50; ++poll) {
        auto left = engine.runExec(head, signalJob("none", id, kLauncherProcessNames));
        if (left && left->exitCode != 0) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    (void)engine.runExec(head, signalJob("KILL", id, kLauncherProcessNames));
    // Whatever of the job still runs on any member is a leftover: its ranks, what they started,
    // the daemons mpirun started over ssh (which carry PPCS_JOB_ID too: ssh sends it along).
    // Every member is swept, through its own host's engine, even when one fails: a member that
    // died has nothing left to stop. Members on hosts ppcsd cannot reach lose their ssh link to
    // mpirun, which ends what it started there.
    auto hosts = cluster::HostEngines::discover(engine);
    Status first;
    for (const auto& member : members) {
        auto* hostEngine = hosts ? hosts->engineFor(member.dockerHostId) : &engine;
        if (!hostEngine) continue;
        auto swept = hostEngine->runExec(member.containerId, signalJob("KILL", id, ""), std::chrono::seconds(30));
        if (!swept && first && swept.error().code != ErrorCode::conflict && swept.error().code != ErrorCode::notFound)
            first = swept.error();
    }
    return first;
}

std::optional<std::string> lostMember(docker::Engine& engine, const std::string& cluster,
                                      const std::vector<cluster::Member>& members) {
    auto hosts = cluster::HostEngines::discover(engine);
    std::map<docker::Engine*, std::set<std::string>> runningOn;  // by host engine: the cluster's running containers
    for (const auto& member : members) {
        auto* hostEngine = hosts ? hosts->engineFor(member.dockerHostId) : &engine;
        if (!hostEngine) continue;  // a host ppcsd cannot reach: not known to be lost
        if (!runningOn.count(hostEngine)) {
            auto listed = hostEngine->listContainers({{cluster::kClusterLabel, cluster}}, false);
            if (!listed) continue;
            auto& ids = runningOn[hostEngine];
            for (const auto& container : *listed) ids.insert(container.id);
        }
        auto found = runningOn.find(hostEngine);
        if (found != runningOn.end() && !found->second.count(member.containerId))
            return "node " + member.hostname + " (" + member.address + ")";
    }
    return std::nullopt;
}

namespace {

// The regular *.py files at the top of a directory that may be its entry script, sorted: all of
// them when --exe names one (resolveProgram checks it is there) or there is one; else those with
// a `__main__` guard, when some have one (the others are modules they import).
std::vector<std::string> pythonEntriesIn(const std::string& directory, const std::string& named) {
    std::vector<std::string> scripts;
    if (DIR* dir = ::opendir(directory.c_str())) {
        while (dirent* entry = ::readdir(dir)) {
            std::string name = entry->d_name;
            struct stat info {};
            if (endsWith(name, ".py") && ::lstat((directory + "/" + name).c_str(), &info) == 0 && S_ISREG(info.st_mode))
                scripts.push_back(name);
        }
        ::closedir(dir);
    }
    std::sort(scripts.begin(), scripts.end());
    if (!named.empty() || scripts.size() < 2) return scripts;
    std::vector<std::string> mains;
    for (const auto& script : scripts)
        if (auto text = readFile(directory + "/" + script); text && text->find("__main__") != std::string::npos)
            mains.push_back(script);
    return mains.empty() ? scripts : mains;
}

// Which kind of program the request names, looking at its local path on this host.
Result<ResolvedProgram> resolveOnThisHost(const JobRequest& request) {
    struct stat info {};
    bool exists = !request.localPath.empty() && ::stat(request.localPath.c_str(), &info) == 0;
    if (!request.localPath.empty() && !exists) return makeError(ErrorCode::usage, "'" + request.program + "' does not exist");
    bool isFile = exists && S_ISREG(info.st_mode);
    bool isDir = exists && S_ISDIR(info.st_mode);
    bool isMakeDir = isDir && ::stat((request.localPath + "/Makefile").c_str(), &info) == 0;
    if (!isDir || isMakeDir) return resolveProgram(request, isFile, isMakeDir);
    return resolveProgram(request, false, false, pythonEntriesIn(request.localPath, request.exe));
}

constexpr std::uint64_t kMostFolderBytesBesideScript = 256ULL << 20;
constexpr std::uint64_t kMostFolderFilesBesideScript = 10000;

// A Python file is shipped with its folder, as a script folder whose entry it is, when other
// Python files sit beside it (modules it may import): run ./bench/osu_latency.py then works as
// `python3 bench/osu_latency.py` does here. Only a folder that can be copied whole (no links or
// special files) and is small enough (kMostFolder*) is; otherwise the file goes alone, and
// a notice says why and how to ship the folder.
ResolvedProgram withScriptFolder(JobRequest& request, const ResolvedProgram& program, const JobEvents& events) {
    if (program.kind != ProgramKind::python || !request.exe.empty()) return program;
    std::string folder = request.localPath.substr(0, request.localPath.rfind('/'));
    if (folder.empty()) return program;
    auto scripts = pythonEntriesIn(folder, program.name);
    if (scripts.size() < 2) return program;
    auto notAlone = [&](const std::string& why) {
        events(Phase::notice, "copying " + program.name + " without the folder beside it (" + why +
                                  "): to ship the folder, run " + folder + " --exe " + program.name);
        return program;
    };
    auto stream = LocalTarStream::open({folder, baseName(folder), {}});
    if (!stream) return notAlone(stream.error().message);
    auto tally = stream->tally();
    if (tally.bytes > kMostFolderBytesBesideScript || tally.files > kMostFolderFilesBesideScript)
        return notAlone("it holds " + std::to_string(tally.files) + " files, " + std::to_string(tally.bytes >> 20) + " MiB");
    request.localPath = folder;
    return ResolvedProgram{ProgramKind::scriptDirectory, baseName(folder), program.name};
}

// The outcome of a job that was asked to stop, whether or not it had been launched.
JobOutcome stoppedOutcome(const JobRequest& request, const JobControl& control, int exitCode) {
    JobOutcome outcome;
    switch (control.cause()) {
        case StopCause::nodeLost:
            outcome.state = JobState::failed;
            outcome.exitCode = exitCode != 0 ? exitCode : 1;
            outcome.message = "lost " + control.detail() + " and was stopped on every other node";
            break;
        case StopCause::timedOut:
            outcome.state = JobState::timedOut;
            outcome.exitCode = 124;
            outcome.message =
                "ran past its --timeout of " + std::to_string(request.timeoutSeconds) + " s and was stopped on every node";
            break;
        case StopCause::clientGone:
            outcome.state = JobState::cancelled;
            outcome.exitCode = 129;
            outcome.message = "its client went away (closed terminal or dropped connection) and it was stopped on every node";
            break;
        case StopCause::daemonStopping:
            outcome.state = JobState::stopped;
            outcome.exitCode = 143;
            outcome.message = "ppcsd was stopped (" + control.detail() + ") and stopped the job on every node";
            break;
        case StopCause::cancelled:
        case StopCause::none:
            outcome.state = JobState::cancelled;
            outcome.exitCode = 130;
            outcome.message = "was cancelled and stopped on every node";
            break;
    }
    return outcome;
}

JobOutcome outcomeOf(const JobRequest& request, const LaunchResult& launch, const JobControl& control,
                     const std::vector<cluster::Member>& members) {
    if (control.stopRequested()) return stoppedOutcome(request, control, launch.exitCode);
    JobOutcome outcome;
    outcome.exitCode = launch.exitCode;
    outcome.state = launch.exitCode == 0 ? JobState::finished : JobState::failed;
    outcome.message = describeCrash(launch.mpirunErr, members);
    return outcome;
}

// Watches one job from its first step to its end, on a thread of its own: turns --timeout into a
// stop request, and once a stop is asked for, stops the job on every member,
// again every kSweepInterval until the job's steps have returned.
class Watchdog {
public:
    Watchdog(docker::Engine& engine, const std::vector<cluster::Member>& members, std::int64_t id, JobControl& control,
             int timeoutSeconds)
        : engine_(engine), members_(members), id_(id), control_(control) {
        if (timeoutSeconds > 0) deadline_ = Clock::now() + std::chrono::seconds(timeoutSeconds);
        thread_ = std::thread([this] { runGuarded("job watchdog", [this] { watch(); }); });
    }
    ~Watchdog() { finish(); }
    Watchdog(const Watchdog&) = delete;
    Watchdog& operator=(const Watchdog&) = delete;

    // The job's steps have returned: stop watching. Returns at once (the watch wakes for it), but
    // for a sweep under way.
    void finish() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            finished_ = true;
        }
        wake_.notify_all();
        if (thread_.joinable()) thread_.join();
    }

private:
    void watch() {
        auto nextSweep = Clock::now();
        std::unique_lock<std::mutex> lock(mutex_);
        while (!finished_) {
            if (deadline_ && Clock::now() >= *deadline_) control_.requestStop(StopCause::timedOut);
            if (control_.stopRequested() && Clock::now() >= nextSweep) {
                // Members that died have nothing left to stop; what could not be reached is logged
                // by the sweep's caller, the job's outcome already says it was stopped.
                lock.unlock();
                (void)stopJobEverywhere(engine_, members_, id_);
                lock.lock();
                nextSweep = Clock::now() + kSweepInterval;
            }
            wake_.wait_for(lock, kWatchInterval, [this] { return finished_; });
        }
    }

    docker::Engine& engine_;
    const std::vector<cluster::Member>& members_;
    std::int64_t id_;
    JobControl& control_;
    std::optional<Clock::time_point> deadline_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool finished_ = false;  // under mutex_
    std::thread thread_;
};

}  // namespace

void JobRunner::recordOutput(std::int64_t id, bool isErr, std::string_view piece, const JobEvents& events) {
    auto stored = store_.appendOutput(id, isErr, std::string(piece));
    if (stored || outputRecordFailed_) return;
    // Said once per job, to the user and in the log: the job goes on, its record will lack output.
    outputRecordFailed_ = true;
    std::string line = "job " + std::to_string(id) + ": its output can no longer be recorded: " + stored.error().message;
    log::warn(line);
    events(Phase::warning, line);
}

Result<LaunchResult> JobRunner::launch(const std::vector<cluster::Member>& members, const std::vector<std::string>& argv,
                                       const std::optional<std::string>& hostfile, std::int64_t id, const JobEvents& events) {
    LaunchResult launch;
    auto onOutput = [&](bool isErr, std::string_view piece) {
        if (piece.empty()) return;
        if (isErr && launch.mpirunErr.size() < 65536) launch.mpirunErr.append(piece);
        events(isErr ? Phase::standardError : Phase::standardOutput, std::string(piece));
        recordOutput(id, isErr, piece, events);
    };
    // The launcher's noise never reaches the user or the record (stderr_filter.h).
    StderrNoiseFilter noise;
    // Started in the job's folder: made, with the hostfile in it, by the exec itself when given one.
    auto code = runInHead(
        engine_, members.front().containerId, hostfile ? launchInFolderArgv(jobDir(id), kJobHostfileName, *hostfile, argv) : argv,
        hostfile ? cluster::kSharedDir : jobDir(id), {jobIdVariable(id)}, [&](bool isErr, std::string_view piece) {
            if (!isErr) return onOutput(false, piece);
            onOutput(true, noise.feed(piece));
        });
    onOutput(true, noise.finish());
    if (!code) {
        // The stream broke (engine restarted, connection lost): mpirun may still run. Stop it
        // rather than leave ranks behind that nobody follows.
        (void)stopJobEverywhere(engine_, members, id);
        return code.error().context("follow mpirun");
    }
    launch.exitCode = *code;
    return launch;
}

Result<JobOutcome> JobRunner::run(const JobRequest& asked, std::int64_t id, const std::vector<cluster::Member>& members,
                                  const JobEvents& events, JobControl& control, model::MpiKind mpi) {
    JobRequest request = asked;  // a Python file may be shipped with its folder; PPCS_JOB_ID goes along
    request.env.push_back(jobIdVariable(id));
    if (members.empty() || members.front().role != model::MemberRole::head)
        return makeError(ErrorCode::unavailable, "cluster '" + request.cluster + "' has no head running");
    int totalSlots = 0;
    for (const auto& member : members) totalSlots += member.ready ? member.mpiSlots : 0;
    auto program = resolveOnThisHost(request);
    if (!program) return program.error();
    program = withScriptFolder(request, *program, events);
    // NP is checked before anything is recorded or copied.
    if (auto checked =
            buildLauncherArgv(mpi, request, totalSlots, static_cast<int>(rankMembers(members).size()), "", {program->name});
        !checked)
        return checked.error();
    auto started = store_.markStarted(id, request.np > 0 ? request.np : totalSlots);
    if (!started) return started.error().context("job " + std::to_string(id) + " not started");
    if (!*started) {
        JobOutcome outcome = stoppedOutcome(request, control, 130);
        outcome.id = id;
        outcome.message = "was cancelled before it started";
        return outcome;
    }
    log::debug("job " + std::to_string(id) + ": recorded started");
    auto startedAt = Clock::now();
    auto outcome = [&] {
        std::set<std::string> hostnames;
        for (const auto& member : members) hostnames.insert(member.hostname);
        RunningJobRegistration registered(running_, id, request.cluster, &control, std::move(hostnames));
        return runSteps(request, *program, members, id, events, control, totalSlots, mpi);
    }();
    double seconds = std::chrono::duration<double>(Clock::now() - startedAt).count();
    log::debug("job " + std::to_string(id) + ": steps returned");
    if (!outcome) {
        finishRecord(id, JobState::failed, std::nullopt, seconds, outcome.error().message);
        return outcome.error().context("job " + std::to_string(id));
    }
    outcome->id = id;
    outcome->seconds = seconds;
    // A lost node's job with retries left is queued again by its queue, which records the attempt.
    finishRecord(id, outcome->state, outcome->exitCode, seconds, outcome->message);
    return outcome;
}

Result<JobOutcome> JobRunner::runSteps(const JobRequest& request, const ResolvedProgram& program,
                                       const std::vector<cluster::Member>& members, std::int64_t id, const JobEvents& events,
                                       JobControl& control, int totalSlots, model::MpiKind mpi) {
    Watchdog watchdog(engine_, members, id, control, request.timeoutSeconds);
    log::debug("job " + std::to_string(id) + ": started");
    auto hostfile = renderJobHostfile(request.cluster, members, mpi);
    if (!hostfile) return hostfile.error();
    bool withLauncher = hostfileGoesWithLauncher(members, *hostfile);
    if (!withLauncher) {
        if (auto written = uploadJobHostfile(engine_, members.front().containerId, id, *hostfile); !written)
            return written.error();
        log::debug("job " + std::to_string(id) + ": hostfile written");
    }
    auto programArgv = prepareProgram(request, program, members, id, events, control);
    if (control.stopRequested()) return stoppedOutcome(request, control, 0);
    if (!programArgv) return programArgv.error();
    // Ranks start in the job's folder (a Makefile project's own), where relative paths find its files.
    bool directory = program.kind == ProgramKind::makeDirectory || program.kind == ProgramKind::scriptDirectory;
    std::string workdir = rankWorkdir(request, jobDir(id), directory ? jobDir(id) + "/" + program.name : jobDir(id));
    auto argv = buildLauncherArgv(mpi, request, totalSlots, static_cast<int>(rankMembers(members).size()),
                                  jobDir(id) + "/" + kJobHostfileName, *programArgv, workdir);
    if (!argv) return argv.error();
    events(Phase::job, "job " + std::to_string(id) + ": " + join(*argv, " "));
    // A stop that came while the argv was built: never launch. One that comes later is caught by
    // the watchdog's sweeps, the first at once.
    if (control.stopRequested()) return stoppedOutcome(request, control, 0);
    // Whole seconds, and one earlier: the engine's `since` cuts at the second.
    std::int64_t launchedAt = static_cast<std::int64_t>(std::time(nullptr)) - 1;
    log::debug("job " + std::to_string(id) + ": launching");
    auto launched = launch(members, *argv, withLauncher ? std::optional<std::string>(*hostfile) : std::nullopt, id, events);
    log::debug("job " + std::to_string(id) + ": launcher ended");
    watchdog.finish();
    if (!control.stopRequested() && launched && launched->exitCode != 0)
        if (auto lost = lostMember(engine_, request.cluster, members)) control.requestStop(StopCause::nodeLost, *lost);
    // A stop can break the stream too (the lost node was the head): its cause is the outcome. The
    // launcher may have ended before the watchdog's next sweep (a lost node ends mpirun at once),
    // leaving what its ranks started (a script's children): one last sweep.
    if (control.stopRequested()) {
        (void)stopJobEverywhere(engine_, members, id);
        return stoppedOutcome(request, control, launched ? launched->exitCode : 0);
    }
    if (!launched) return launched.error();
    auto outcome = outcomeOf(request, *launched, control, members);
    outcome.id = id;
    if (outcome.exitCode != 0) explainOomKill(engine_, request.cluster, members, launchedAt, launched->mpirunErr, outcome);
    return outcome;
}

void JobRunner::finishRecord(std::int64_t id, JobState state, std::optional<int> exitCode, double seconds,
                             const std::string& message) {
    if (auto finished = store_.finish(id, state, exitCode, seconds, message); !finished)
        log::error("job " + std::to_string(id) + " ended " + jobStateName(state) +
                   " but its record could not be written: " + finished.error().message);
}

}  // namespace ppcs::jobs
