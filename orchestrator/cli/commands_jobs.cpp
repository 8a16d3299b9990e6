// `ppcs-cluster run | jobs [prune] | logs | cancel`: MPI jobs, carried out by ppcsd in the cluster's head.
//
//   ppcs-cluster run [OPTIONS] PROGRAM [ARGS...]   everything after PROGRAM is the program's
//   ppcs-cluster run [OPTIONS] -- CMD [ARGS...]    CMD is run as given, without resolution
// splitRunWords (command_line.cpp) cuts those words off argv before option parsing (GlobalOptions::runWords).

#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <climits>
#include <cstdio>
#include <ctime>
#include <memory>
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
    InterruptWatcher(const api::Endpoint& endpoint, std::string cluster) : endpoint_(endpoint), cluster_(std::move(cluster)) {
        struct sigaction action {};
        action.sa_handler = onInterrupt;
        sigemptyset(&action.sa_mask);
        ::sigaction(SIGINT, &action, &previousInt_);
        ::sigaction(SIGTERM, &action, &previousTerm_);
        ::sigaction(SIGHUP, &action, &previousHup_);
        thread_ = std::thread([this] { watch(); });
    }
    ~InterruptWatcher() {
        done_ = true;
        thread_.join();
        ::sigaction(SIGINT, &previousInt_, nullptr);
        ::sigaction(SIGTERM, &previousTerm_, nullptr);
        ::sigaction(SIGHUP, &previousHup_, nullptr);
    }

private:
    void watch() {
        bool asked = false;
        while (!done_) {
            int interrupts = gInterrupts.load();
            if (interrupts >= 2) std::_Exit(130);
            if (interrupts == 1 && !asked) {
                asked = true;
                std::fprintf(stderr, "ppcs-cluster: stopping the job on every node (Ctrl-C again to stop waiting)\n");
                if (auto asked = api::ApiClient(endpoint_).cancelJob(cluster_); !asked)
                    std::fprintf(stderr,
                                 "ppcs-cluster: could not ask ppcsd to stop the job (%s): press Ctrl-C again, ppcsd stops it "
                                 "when this client goes\n",
                                 asked.error().message.c_str());
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    }

    api::Endpoint endpoint_;
    std::string cluster_;
    std::atomic<bool> done_{false};
    std::thread thread_;
    struct sigaction previousInt_ {};
    struct sigaction previousTerm_ {};
    struct sigaction previousHup_ {};
};

int runJob(const GlobalOptions& global, RunOptions options) {
    auto& request = options.request;
    if (global.runWords.empty())
        return reportError(
            makeError(ErrorCode::usage, global.runCommandGiven ? "run -- needs a command" : "run needs a PROGRAM (see --help)"));
    request.isCommand = global.runCommandGiven;
    request.program = global.runWords.front();
    request.args.assign(global.runWords.begin() + 1, global.runWords.end());
    Status valid = readEnvFiles(options);
    if (valid && options.outputGiven) {
        auto absolute = absoluteLocalPath(request.outputDir);
        if (absolute)
            request.outputDir = *absolute;
        else
            valid = absolute.error();
    }
    if (valid) valid = model::validateJobRequest(request);
    if (valid) valid = resolveLocalPath(request);
    if (!valid) return reportError(valid.error());
    auto endpoint = ensureDaemon(global.stateDir);
    if (!endpoint) return reportError(endpoint.error());
    bool terminal = ::isatty(STDERR_FILENO) == 1;
    std::string jobId;
    Result<model::JobOutcome> outcome = makeError(ErrorCode::failed, "not run");
    {
        InterruptWatcher watcher(*endpoint, request.cluster);
        outcome = api::ApiClient(*endpoint).run(request, [&](model::Phase phase, const std::string& text) {
            if (phase == model::Phase::standardOutput) {
                std::fwrite(text.data(), 1, text.size(), stdout);
                std::fflush(stdout);
            } else if (phase == model::Phase::standardError) {
                std::fwrite(text.data(), 1, text.size(), stderr);
                std::fflush(stderr);
            } else if (phase == model::Phase::jobId) {
                jobId = text;
            } else if (phase == model::Phase::notice || phase == model::Phase::warning) {
                // Said whether or not stderr is a terminal: something the user must know
                // (the job runs on fewer members, or waits; its output can no longer be recorded).
                std::fprintf(stderr, "ppcs-cluster: %s\n", text.c_str());
            } else if (terminal) {
                std::fprintf(stderr, "[%s] %s\n", std::string(model::phaseName(phase)).c_str(), text.c_str());
            }
        });
    }
    if (!outcome) return reportError(outcome.error());
    if (global.json) std::printf("%s\n", api::encodeJobOutcome(*outcome).c_str());
    if (!outcome->message.empty())
        std::fprintf(stderr, "ppcs-cluster: job %lld: %s\n", static_cast<long long>(outcome->id), outcome->message.c_str());
    return outcome->exitCode;
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
                    truncateForDisplay(record.program, 24).c_str(), record.np, record.startedAt.c_str(),
                    record.state == model::JobState::running ? "-" : formatDuration(record.seconds).c_str(),
                    record.exitCode ? std::to_string(*record.exitCode).c_str() : "-", model::jobStateName(record.state));
    return 0;
}

int showLogs(const GlobalOptions& global, const LogOptions& options) {
    auto id = parseJobId(options.id);
    if (!id) return reportError(id.error());
    auto endpoint = ensureDaemon(global.stateDir);
    if (!endpoint) return reportError(endpoint.error());
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
    std::vector<std::int64_t> ids;
    for (const auto& text : texts) {
        auto id = parseJobId(text);
        if (!id) return reportError(id.error());
        ids.push_back(*id);
    }
    auto endpoint = ensureDaemon(global.stateDir);
    if (!endpoint) return reportError(endpoint.error());
    int exitCode = 0;
    for (auto id : ids) {
        auto cancelled = api::ApiClient(*endpoint).cancelJobById(id);
        if (!cancelled) return reportError(cancelled.error());
        if (*cancelled) {
            std::printf("job %lld: stopping it on every node\n", static_cast<long long>(id));
        } else {
            std::fprintf(stderr, "ppcs-cluster: job %lld is not running (see `ppcs-cluster jobs`)\n", static_cast<long long>(id));
            exitCode = kExitFailure;
        }
    }
    return exitCode;
}

}  // namespace

void addJobCommands(CLI::App& app, const GlobalOptions& global, Action& action) {
    auto options = std::make_shared<RunOptions>();
    auto* run = app.add_subcommand(
        "run", "Run an MPI program across a cluster: options first, then PROGRAM [ARGS...] or -- CMD [ARGS...]");
    run->add_option("-n,--np", options->request.np, "Number of ranks (default: the cluster's slots)");
    run->add_option("--per-node", options->request.perNode, "Ranks per node");
    run->add_flag("--oversubscribe", options->request.oversubscribe, "Allow more ranks than slots");
    run->add_flag("--tag-output", options->request.tagOutput, "Prefix each output line with its rank");
    run->add_option("--timeout", options->request.timeoutSeconds, "Stop the job on every node after this many seconds");
    run->add_option("--name", options->request.cluster, "Cluster name")->capture_default_str();
    run->add_option("--exe", options->request.exe, "For a directory: the program make builds (default: the directory's name)");
    run->add_option("-e,--env", options->request.env, "NAME=VALUE for every rank and the build (repeatable; taken verbatim)");
    run->add_option("--env-file", options->envFiles, "A file of NAME=VALUE lines for every rank (# comments; no quoting)");
    run->add_option("--workdir", options->request.workdir,
                    "Where every rank starts: absolute, or relative to the job's folder (default: the job's folder)");
    auto* output = run->add_option("--output", options->request.outputDir,
                                   "When the job ends, copy its folder (what it wrote there) into this local directory");
    run->callback([&global, &action, options, output] {
        options->outputGiven = output->count() > 0;
        action = [&global, options] { return runJob(global, *options); };
    });

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
    logs->add_option("ID", logOptions->id, "Job id (see `ppcs-cluster jobs`)")->required();
    logs->callback([&global, &action, logOptions] { action = [&global, logOptions] { return showLogs(global, *logOptions); }; });
    auto cancelIds = std::make_shared<std::vector<std::string>>();
    auto* cancel = app.add_subcommand("cancel", "Stop running jobs by id, on every node (while they copy, build or run)");
    cancel->add_option("ID", *cancelIds, "Job ids (see `ppcs-cluster jobs`)")->required();
    cancel->callback([&global, &action, cancelIds] { action = [&global, cancelIds] { return cancelJobs(global, *cancelIds); }; });
}

}  // namespace ppcs::cli
