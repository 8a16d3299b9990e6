// `ppcs-cluster run | submit | queue | jobs [prune] | logs [-f] | wait | cancel`: MPI jobs, queued
// by ppcsd in their cluster's queue and carried out in the cluster's head.
//
//   ppcs-cluster run [OPTIONS] PROGRAM [ARGS...]   everything after PROGRAM is the program's
//   ppcs-cluster run [OPTIONS] -- CMD [ARGS...]    CMD is run as given, without resolution
//   ppcs-cluster submit [OPTIONS] PROGRAM ...      the same, queued: prints the job id at once
// splitRunWords (command_line.cpp) cuts those words off argv before option parsing (GlobalOptions::runWords).

#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <climits>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "api/client.h"
#include "cli/cli.h"
#include "cli/daemon_launcher.h"
#include "cli/output.h"
#include "common/files.h"
#include "common/strings.h"

namespace ppcs::cli {
namespace {

std::atomic<int> gInterrupts{0};

void onInterrupt(int) { gInterrupts.fetch_add(1); }

struct RunOptions {
    model::JobRequest request;
    bool detach = false;                // submit, or run --detach: queue it and print its id
    std::vector<std::string> envFiles;  // read here, on the user's machine, before -e entries
    bool outputGiven = false;           // --output, even as an empty word (refused)
};

// The request's environment: every --env-file's entries in order, then the -e ones (a later
// entry of a name wins, as mpirun's -x does).
Status readEnvFiles(RunOptions& options) {
    std::vector<std::string> env;
    for (const auto& path : options.envFiles) {
        auto text = readFile(path);
        if (!text) return makeError(ErrorCode::usage, "--env-file " + path + ": " + text.error().message);
        auto entries = model::parseEnvFile(*text);
        if (!entries) return makeError(ErrorCode::usage, "--env-file " + path + ": " + entries.error().message);
        env.insert(env.end(), entries->begin(), entries->end());
    }
    options.request.env.insert(options.request.env.begin(), env.begin(), env.end());
    return {};
}

struct LogOptions {
    std::string id;
    int limit = 20;
    bool follow = false;  // logs -f
};

struct PruneOptions {
    std::string keep;        // as typed
    bool keepGiven = false;  // else ppcsd's own setting
};

// A job id as the user typed it: a positive number, or a usage error naming it.
Result<std::int64_t> parseJobId(const std::string& text) {
    if (text.empty() || text.size() > 18 || text.find_first_not_of("0123456789") != std::string::npos || std::stoll(text) < 1)
        return makeError(ErrorCode::usage, "job id '" + text + "' is not a positive number (see `ppcs-cluster jobs`)");
    return std::stoll(text);
}

bool exists(const std::string& path) {
    struct stat info {};
    return ::stat(path.c_str(), &info) == 0;
}

bool looksLikeLocalPath(const std::string& program) {
    return program.find('/') != std::string::npos || endsWith(program, ".c") || endsWith(program, ".cc") ||
           endsWith(program, ".cpp") || endsWith(program, ".py");
}

// Local files and directories are named to ppcsd by absolute path; ppcsd runs on this host.
Status resolveLocalPath(model::JobRequest& request) {
    if (request.isCommand) return {};
    const auto& examples = model::shippedExamples();
    if (std::find(examples.begin(), examples.end(), request.program) != examples.end()) return {};
    if (exists(request.program)) {
        char resolved[PATH_MAX];
        if (::realpath(request.program.c_str(), resolved) == nullptr)
            return makeError(ErrorCode::usage, "cannot resolve '" + request.program + "'");
        request.localPath = resolved;
        return {};
    }
    if (looksLikeLocalPath(request.program) && request.program.front() != '/')
        return makeError(ErrorCode::usage, "local file '" + request.program + "' does not exist");
    return {};
}

// Ctrl-C (or SIGTERM, or SIGHUP from a closed terminal) asks ppcsd to stop the job on every node;
// a second one gives up waiting. Should this process die first, ppcsd sees its connection close
// and stops the job itself.
class InterruptWatcher {
public:
    InterruptWatcher(const api::Endpoint& endpoint, const std::atomic<std::int64_t>& jobId) : endpoint_(endpoint), jobId_(jobId) {
        struct sigaction action {};
        action.sa_handler = onInterrupt;
        sigemptyset(&action.sa_mask);
        ::sigaction(SIGINT, &action, &previousInt_);
        ::sigaction(SIGTERM, &action, &previousTerm_);
        ::sigaction(SIGHUP, &action, &previousHup_);
        thread_ = std::thread([this] { watch(); });
    }
    ~InterruptWatcher() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            done_ = true;
        }
        wake_.notify_all();
        thread_.join();
        ::sigaction(SIGINT, &previousInt_, nullptr);
        ::sigaction(SIGTERM, &previousTerm_, nullptr);
        ::sigaction(SIGHUP, &previousHup_, nullptr);
    }

private:
    void watch() {
        bool asked = false;
        std::unique_lock<std::mutex> lock(mutex_);
        while (!done_) {
            lock.unlock();
            int interrupts = gInterrupts.load();
            if (interrupts >= 2) std::_Exit(130);
            if (interrupts == 1 && !asked) {
                asked = true;
                std::int64_t id = jobId_.load();
                // Before ppcsd said the job's id, nothing names it: this client's going cancels it.
                if (id == 0) std::_Exit(130);
                std::fprintf(stderr, "ppcs-cluster: stopping the job on every node (Ctrl-C again to stop waiting)\n");
                if (auto asked = api::ApiClient(endpoint_).cancelJobById(id); !asked)
                    std::fprintf(stderr,
                                 "ppcs-cluster: could not ask ppcsd to stop the job (%s): press Ctrl-C again, ppcsd stops it "
                                 "when this client goes\n",
                                 asked.error().message.c_str());
            }
            lock.lock();
            // A signal handler cannot wake a condition variable: signals are looked for every
            // 50 ms, the job's end (the destructor) wakes the watch at once, so `run` exits at once.
            wake_.wait_for(lock, std::chrono::milliseconds(50), [this] { return done_; });
        }
    }

    api::Endpoint endpoint_;
    const std::atomic<std::int64_t>& jobId_;  // 0 until ppcsd said it
    std::mutex mutex_;
    std::condition_variable wake_;
    bool done_ = false;  // under mutex_
    std::thread thread_;
    struct sigaction previousInt_ {};
    struct sigaction previousTerm_ {};
    struct sigaction previousHup_ {};
};

// Hands a job's events to the terminal: its output to stdout and stderr as it comes, what the user
// must know (notices, warnings) always, progress lines only when stderr is a terminal.
model::Progress printJobEvents(std::atomic<std::int64_t>* jobId) {
    bool terminal = ::isatty(STDERR_FILENO) == 1;
    return [terminal, jobId](model::Phase phase, const std::string& text) {
        if (phase == model::Phase::standardOutput) {
            std::fwrite(text.data(), 1, text.size(), stdout);
            std::fflush(stdout);
        } else if (phase == model::Phase::standardError) {
            std::fwrite(text.data(), 1, text.size(), stderr);
            std::fflush(stderr);
        } else if (phase == model::Phase::jobId) {
            if (jobId) *jobId = std::atoll(text.c_str());
        } else if (phase == model::Phase::notice || phase == model::Phase::warning) {
            // Said whether or not stderr is a terminal: something the user must know (the job
            // waits in its queue or for a heal, runs on fewer members, its output is not recorded).
            std::fprintf(stderr, "ppcs-cluster: %s\n", text.c_str());
        } else if (terminal) {
            std::fprintf(stderr, "[%s] %s\n", std::string(model::phaseName(phase)).c_str(), text.c_str());
        }
    };
}

// The job's exit code, after saying why it ended when there is something to say.
int reportOutcome(const GlobalOptions& global, const model::JobOutcome& outcome) {
    if (global.json) std::printf("%s\n", api::encodeJobOutcome(outcome).c_str());
    if (!outcome.message.empty())
        std::fprintf(stderr, "ppcs-cluster: job %lld: %s\n", static_cast<long long>(outcome.id), outcome.message.c_str());
    return outcome.exitCode;
}

Status prepareRequest(const GlobalOptions& global, RunOptions& options) {
    auto& request = options.request;
    if (global.runWords.empty())
        return makeError(ErrorCode::usage,
                         global.runCommandGiven ? "run -- needs a command" : "run needs a PROGRAM (see --help)");
    request.isCommand = global.runCommandGiven;
    request.program = global.runWords.front();
    request.args.assign(global.runWords.begin() + 1, global.runWords.end());
    if (auto read = readEnvFiles(options); !read) return read;
    if (options.outputGiven) {
        auto absolute = absoluteLocalPath(request.outputDir);
        if (!absolute) return absolute.error();
        request.outputDir = *absolute;
    }
    if (auto valid = model::validateJobRequest(request); !valid) return valid;
    return resolveLocalPath(request);
}

int submitJob(const GlobalOptions& global, const api::Endpoint& endpoint, const model::JobRequest& request) {
    auto id = api::ApiClient(endpoint).submit(request);
    if (!id) return reportError(id.error());
    if (auto array = model::parseJobArray(request.array); !request.array.empty() && array) {
        int count = array->last - array->first + 1;
        std::string most = array->most > 0 ? ", at most " + std::to_string(array->most) + " at once" : "";
        std::fprintf(
            stderr,
            "ppcs-cluster: array %lld: %d jobs (%lld to %lld), side by side as they fit%s (`cancel %lld` cancels them all)\n",
            static_cast<long long>(*id), count, static_cast<long long>(*id), static_cast<long long>(*id + count - 1),
            most.c_str(), static_cast<long long>(*id));
    }
    if (global.json)
        std::printf("%s\n", api::encodeSubmitReply(*id).c_str());
    else
        std::printf("%lld\n", static_cast<long long>(*id));
    return 0;
}

int runJob(const GlobalOptions& global, RunOptions options) {
    if (auto valid = prepareRequest(global, options); !valid) return reportError(valid.error());
    auto endpoint = ensureDaemon(global.stateDir);
    if (!endpoint) return reportError(endpoint.error());
    if (options.detach) return submitJob(global, *endpoint, options.request);
    if (!options.request.array.empty())
        return reportError(makeError(ErrorCode::usage, "--array is for submit: its jobs are followed with wait or logs -f"));
    std::atomic<std::int64_t> jobId{0};
    Result<model::JobOutcome> outcome = makeError(ErrorCode::failed, "not run");
    {
        InterruptWatcher watcher(*endpoint, jobId);
        outcome = api::ApiClient(*endpoint).run(options.request, printJobEvents(&jobId));
    }
    if (!outcome) return reportError(outcome.error());
    return reportOutcome(global, *outcome);
}

std::string formatDuration(double seconds) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1fs", seconds);
    return text;
}

int listJobs(const GlobalOptions& global, const LogOptions& options) {
    if (options.limit < 1 || options.limit > 99999)
        return reportError(makeError(ErrorCode::usage, "--limit must be from 1 to 99999"));
    auto endpoint = ensureDaemon(global.stateDir);
    if (!endpoint) return reportError(endpoint.error());
    auto records = api::ApiClient(*endpoint).listJobs(options.limit);
    if (!records) return reportError(records.error());
    if (global.json) {
        std::printf("%s\n", api::encodeJobList(*records).c_str());
        return 0;
    }
    std::printf("%-6s %-12s %-24s %-5s %-21s %-9s %-5s %s\n", "ID", "CLUSTER", "PROGRAM", "NP", "STARTED", "DURATION", "EXIT",
                "STATE");
    for (const auto& record : *records)
        std::printf("%-6lld %-12s %-24s %-5d %-21s %-9s %-5s %s\n", static_cast<long long>(record.id), record.cluster.c_str(),
                    truncateForDisplay(record.program, 24).c_str(), record.np,
                    record.startedAt.empty() ? "-" : record.startedAt.c_str(),
                    model::jobActive(record.state) ? "-" : formatDuration(record.seconds).c_str(),
                    record.exitCode ? std::to_string(*record.exitCode).c_str() : "-", model::jobStateName(record.state));
    return 0;
}

int showLogs(const GlobalOptions& global, const LogOptions& options) {
    auto id = parseJobId(options.id);
    if (!id) return reportError(id.error());
    auto endpoint = ensureDaemon(global.stateDir);
    if (!endpoint) return reportError(endpoint.error());
    if (options.follow) {
        auto outcome = api::ApiClient(*endpoint).follow(*id, printJobEvents(nullptr));
        return outcome ? 0 : reportError(outcome.error());
    }
    auto log = api::ApiClient(*endpoint).jobLog(*id);
    if (!log) return reportError(log.error());
    if (global.json) {
        std::printf("%s\n", api::encodeJobLog(log->first, log->second).c_str());
        return 0;
    }
    for (const auto& chunk : log->second) {
        std::FILE* stream = chunk.isErr ? stderr : stdout;
        std::fwrite(chunk.data.data(), 1, chunk.data.size(), stream);
        std::fflush(stream);
    }
    return 0;
}

// Every id is read before any is followed: a malformed one waits for nothing.
Result<std::vector<std::int64_t>> parseJobIds(const std::vector<std::string>& texts) {
    std::vector<std::int64_t> ids;
    for (const auto& text : texts) {
        auto id = parseJobId(text);
        if (!id) return id.error();
        ids.push_back(*id);
    }
    return ids;
}

// Waits for every job in turn; exits with the first non-zero exit code among them, else 0.
int waitForJobs(const GlobalOptions& global, const std::vector<std::string>& texts) {
    auto ids = parseJobIds(texts);
    if (!ids) return reportError(ids.error());
    auto endpoint = ensureDaemon(global.stateDir);
    if (!endpoint) return reportError(endpoint.error());
    int exitCode = 0;
    for (auto id : *ids) {
        auto outcome = api::ApiClient(*endpoint).follow(id, [](model::Phase, const std::string&) {});
        if (!outcome) return reportError(outcome.error());
        if (global.json)
            std::printf("%s\n", api::encodeJobOutcome(*outcome).c_str());
        else
            std::printf("job %lld: %s, exit %d%s%s\n", static_cast<long long>(id), model::jobStateName(outcome->state),
                        outcome->exitCode, outcome->message.empty() ? "" : ": ", outcome->message.c_str());
        if (exitCode == 0) exitCode = outcome->exitCode;
    }
    return exitCode;
}

std::string formatSeconds(double seconds) { return seconds > 0 ? formatDuration(seconds) : "-"; }

int showQueue(const GlobalOptions& global, const std::string& cluster) {
    if (!cluster.empty())
        if (auto valid = model::validateClusterName(cluster); !valid) return reportError(valid.error());
    auto endpoint = ensureDaemon(global.stateDir);
    if (!endpoint) return reportError(endpoint.error());
    auto records = api::ApiClient(*endpoint).jobQueue(cluster);
    if (!records) return reportError(records.error());
    if (global.json) {
        std::printf("%s\n", api::encodeJobList(*records).c_str());
        return 0;
    }
    std::printf("%-6s %-12s %-11s %-4s %-5s %-8s %-8s %-7s %s\n", "ID", "CLUSTER", "STATE", "POS", "NP", "WAITED", "RAN",
                "ATTEMPT", "PROGRAM");
    for (const auto& record : *records) {
        std::string position = record.position > 0 ? std::to_string(record.position) : "-";
        std::string attempt = std::to_string(record.attempt) + "/" + std::to_string(record.retries + 1);
        std::string program = record.program + (record.arrayIndex >= 0 ? " [" + std::to_string(record.arrayIndex) + "]" : "");
        std::printf("%-6lld %-12s %-11s %-4s %-5d %-8s %-8s %-7s %s\n", static_cast<long long>(record.id), record.cluster.c_str(),
                    model::jobStateName(record.state), position.c_str(), record.np, formatSeconds(record.waitedSeconds).c_str(),
                    formatSeconds(record.seconds).c_str(), attempt.c_str(), truncateForDisplay(program, 40).c_str());
    }
    return 0;
}

int pruneJobs(const GlobalOptions& global, const PruneOptions& options) {
    std::optional<int> keep;
    if (options.keepGiven) {
        auto parsed = model::parseKeptJobs(options.keep, "--keep");
        if (!parsed) return reportError(parsed.error());
        keep = *parsed;
    }
    auto endpoint = ensureDaemon(global.stateDir);
    if (!endpoint) return reportError(endpoint.error());
    auto report = api::ApiClient(*endpoint).pruneJobs(keep);
    if (!report) return reportError(report.error());
    if (global.json) {
        std::printf("%s\n", api::encodePruneReport(*report).c_str());
        return 0;
    }
    std::printf("removed %lld finished job%s (kept the newest %d; running jobs are never removed)\n",
                static_cast<long long>(report->removed), report->removed == 1 ? "" : "s", report->keep);
    return 0;
}

// Every id is checked before any is cancelled: bad input changes nothing.
int cancelJobs(const GlobalOptions& global, const std::vector<std::string>& texts) {
    auto ids = parseJobIds(texts);
    if (!ids) return reportError(ids.error());
    auto endpoint = ensureDaemon(global.stateDir);
    if (!endpoint) return reportError(endpoint.error());
    api::ApiClient client(*endpoint);
    // Which of them wait in a queue, to say what cancelling did to each.
    std::set<std::int64_t> queued;
    if (auto active = client.jobQueue(""))
        for (const auto& record : *active)
            if (record.state == model::JobState::queued) queued.insert(record.id);
    int exitCode = 0;
    for (auto id : *ids) {
        auto cancelled = client.cancelJobById(id);
        if (!cancelled) return reportError(cancelled.error());
        if (*cancelled) {
            std::printf("job %lld: %s\n", static_cast<long long>(id),
                        queued.count(id) ? "cancelled, it leaves its queue" : "stopping it on every node");
        } else {
            std::fprintf(stderr, "ppcs-cluster: job %lld is not running (see `ppcs-cluster jobs`)\n", static_cast<long long>(id));
            exitCode = kExitFailure;
        }
    }
    return exitCode;
}

// The options of `run` and `submit`.
void addRunOptions(CLI::App* command, RunOptions& options) {
    command->add_option("-n,--np", options.request.np, "Number of ranks (default: the cluster's slots)");
    command->add_option("--per-node", options.request.perNode, "Ranks per node");
    command->add_flag("--oversubscribe", options.request.oversubscribe, "Allow more ranks than slots");
    command->add_flag("--tag-output", options.request.tagOutput, "Prefix each output line with its rank");
    command->add_option("--timeout", options.request.timeoutSeconds, "Stop the job on every node after this many seconds");
    addClusterNameOption(command, options.request.cluster);
    command->add_option("--exe", options.request.exe, "For a directory: the program make builds (default: the directory's name)");
    command->add_option("-e,--env", options.request.env, "NAME=VALUE for every rank and the build (repeatable; taken verbatim)");
    command->add_option("--env-file", options.envFiles, "A file of NAME=VALUE lines for every rank (# comments; no quoting)")
        ->type_name(kFileValue);
    command->add_option("--workdir", options.request.workdir,
                        "Where every rank starts: absolute, or relative to the job's folder (default: the job's folder)");
    command->add_option("--retry", options.request.retries,
                        "Queue the job again (at the head of its queue) when a lost node stops it, up to N times");
}

}  // namespace

void addJobCommands(CLI::App& app, const GlobalOptions& global, Action& action) {
    for (const char* name : {"run", "submit"}) {
        auto options = std::make_shared<RunOptions>();
        bool submit = std::string(name) == "submit";
        auto* command = app.add_subcommand(
            name, submit ? "Queue an MPI program on a cluster and print its job id at once (options as for run)"
                         : "Run an MPI program across a cluster: options first, then PROGRAM [ARGS...] or -- CMD [ARGS...]; "
                           "it waits in the cluster's queue while another job runs");
        addRunOptions(command, *options);
        auto* output = command
                           ->add_option("--output", options->request.outputDir,
                                        "When the job ends, copy its folder (what it wrote there) into this local directory")
                           ->type_name(kDirValue);
        if (!submit) command->add_flag("-d,--detach", options->detach, "Queue the job and print its id, as submit does");
        if (submit)
            command->add_option("--array", options->request.array,
                                "FIRST-LAST[%MOST]: one job per index, PPCS_ARRAY_INDEX in its environment; prints the "
                                "array's id");
        command->callback([&global, &action, options, output, submit] {
            options->outputGiven = output->count() > 0;
            options->detach = options->detach || submit;
            action = [&global, options] { return runJob(global, *options); };
        });
    }
    auto* queue =
        app.add_subcommand("queue", "Running, queued (in the order they start) and recent jobs: position, NP, wait and run time");
    auto queueCluster = std::make_shared<std::string>();
    addClusterNameOption(queue, *queueCluster, "Only this cluster's jobs");
    queue->callback(
        [&global, &action, queueCluster] { action = [&global, queueCluster] { return showQueue(global, *queueCluster); }; });

    auto logOptions = std::make_shared<LogOptions>();
    auto* jobsCommand = app.add_subcommand("jobs", "List recent jobs: id, cluster, program, NP, start, duration, exit code");
    jobsCommand->add_option("--limit", logOptions->limit, "How many, newest first")->capture_default_str();
    auto pruneOptions = std::make_shared<PruneOptions>();
    auto* prune =
        jobsCommand->add_subcommand("prune", "Delete finished jobs and their output beyond the newest N (running jobs stay)");
    auto* keep = prune->add_option("--keep", pruneOptions->keep,
                                   "How many finished jobs to keep (default: ppcsd's setting, $PPCS_KEEP_JOBS or 1000)");
    prune->callback([&global, &action, pruneOptions, keep] {
        pruneOptions->keepGiven = keep->count() > 0;
        action = [&global, pruneOptions] { return pruneJobs(global, *pruneOptions); };
    });
    // `jobs prune` sets its own action: the listing is for `jobs` alone.
    jobsCommand->callback([&global, &action, logOptions, prune] {
        if (prune->parsed()) return;
        action = [&global, logOptions] { return listJobs(global, *logOptions); };
    });
    auto* logs = app.add_subcommand("logs", "Replay a job's output, stdout and stderr apart");
    logs->add_option("ID", logOptions->id, "Job id (see `ppcs-cluster jobs`)")->required()->type_name(kJobIdValue);
    logs->add_flag("-f,--follow", logOptions->follow, "Follow a queued or running job's output live until it ends");
    logs->callback([&global, &action, logOptions] { action = [&global, logOptions] { return showLogs(global, *logOptions); }; });
    auto cancelIds = std::make_shared<std::vector<std::string>>();
    auto waitIds = std::make_shared<std::vector<std::string>>();
    auto* wait = app.add_subcommand("wait", "Wait for jobs to end; exits with the first non-zero exit code among them");
    wait->add_option("ID", *waitIds, "Job ids (see `ppcs-cluster queue`)")->required()->type_name(kJobIdValue);
    wait->callback([&global, &action, waitIds] { action = [&global, waitIds] { return waitForJobs(global, *waitIds); }; });
    auto* cancel = app.add_subcommand(
        "cancel",
        "Cancel jobs by id: a queued one leaves its queue, a running one is stopped on every node (copy, build or run)");
    cancel->add_option("ID", *cancelIds, "Job ids (see `ppcs-cluster jobs`)")->required()->type_name(kJobIdValue);
    cancel->callback([&global, &action, cancelIds] { action = [&global, cancelIds] { return cancelJobs(global, *cancelIds); }; });
}

}  // namespace ppcs::cli
