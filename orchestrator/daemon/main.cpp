// ppcsd: the only process that talks to Docker. Serves the JSON API on 127.0.0.1 for the CLI.
//
//   ppcsd [--state-dir DIR] [--port N] [--keep-jobs N]
//
// Writes into the state directory (0700): token (0600, new at every start), metrics-token (0600,
// new at every start: it authorises GET /metrics and nothing else), ppcsd.json (port and
// pid, removed at exit) and holds ppcsd.lock for its whole life so only one runs per directory.
// jobs.db keeps the newest N finished jobs: --keep-jobs, else $PPCS_KEEP_JOBS (the way to set it
// when the CLI starts ppcsd), else 1000. $PPCS_LOG (debug, info, warn, error; info by default)
// sets how much goes to the log: debug adds every engine call and the phases of each job's start.

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include "api/client.h"
#include "api/server.h"
#include "common/files.h"
#include "common/log.h"
#include "common/token.h"
#include "daemon/daemon_services.h"
#include "jobs/job_store.h"
#include "model/endpoint.h"

namespace {

using namespace ppcs;

struct Options {
    std::string stateDir = stateDirectory();
    int port = 0;
    int keepJobs = model::kDefaultKeptJobs;
};

constexpr std::size_t kMaxLogBytes = 8 * 1024 * 1024;
constexpr const char* kUsage = "usage: ppcsd [--state-dir DIR] [--port N] [--keep-jobs N]";

Result<Options> parseOptions(int argc, char** argv) {
    Options options;
    if (const char* level = std::getenv("PPCS_LOG"); level && *level) {
        auto parsed = log::levelFromName(level);
        if (!parsed)
            return makeError(ErrorCode::usage, "PPCS_LOG takes debug, info, warn or error, not '" + std::string(level) + "'");
        log::setLevel(*parsed);
    }
    if (const char* keep = std::getenv("PPCS_KEEP_JOBS"); keep && *keep) {
        auto parsed = model::parseKeptJobs(keep, "PPCS_KEEP_JOBS");
        if (!parsed) return parsed.error();
        options.keepJobs = *parsed;
    }
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            std::puts(kUsage);
            std::exit(0);
        }
        if ((arg == "--state-dir" || arg == "--port" || arg == "--keep-jobs") && i + 1 < argc) {
            std::string value = argv[++i];
            if (arg == "--state-dir") {
                options.stateDir = value;
                continue;
            }
            if (arg == "--keep-jobs") {
                auto parsed = model::parseKeptJobs(value, "--keep-jobs");
                if (!parsed) return parsed.error();
                options.keepJobs = *parsed;
                continue;
            }
            char* end = nullptr;
            long port = std::strtol(value.c_str(), &end, 10);
            if (value.empty() || *end != '\0' || port < 0 || port > 65535)
                return makeError(ErrorCode::usage, "--port takes a number from 0 to 65535, not '" + value + "'");
            options.port = static_cast<int>(port);
            continue;
        }
        return makeError(ErrorCode::usage, "unknown argument '" + arg + "' (" + kUsage + ")");
    }
    if (options.stateDir.empty() || options.stateDir.front() != '/')
        return makeError(ErrorCode::usage, "--state-dir must be an absolute path");
    return options;
}

// Holds an exclusive flock on the lock file for the life of the process. A daemon that is still
// shutting down (being replaced) holds it for a moment longer: wait up to 10 s for it.
Result<int> lockStateDirectory(const std::string& stateDir) {
    std::string path = stateDir + "/" + api::kLockFile;
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return makeError(ErrorCode::failed, "open '" + path + "': " + std::strerror(errno));
    for (int attempt = 0; attempt < 100; ++attempt) {
        if (::flock(fd, LOCK_EX | LOCK_NB) == 0) return fd;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ::close(fd);
    return makeError(ErrorCode::conflict, "another ppcsd already serves " + stateDir);
}

// A new token, written into path (0600).
Result<std::string> writeNewToken(const std::string& path) {
    auto token = generateToken();
    if (!token) return token.error();
    if (auto written = writePrivateFile(path, *token + "\n"); !written) return written.error();
    return token;
}

int run(const Options& options) {
    if (auto made = ensurePrivateDirectory(options.stateDir); !made) {
        log::error(made.error().message);
        return 1;
    }
    // ppcsd.log is its stderr when the CLI started it: kept to two files of about 8 MiB.
    log::rotateStderrAt(options.stateDir + "/" + api::kLogFile, kMaxLogBytes);
    auto lock = lockStateDirectory(options.stateDir);
    if (!lock) {
        log::error(lock.error().message);
        return lock.error().code == ErrorCode::conflict ? 3 : 1;
    }
    auto token = writeNewToken(options.stateDir + "/" + api::kTokenFile);
    auto metricsToken = token ? writeNewToken(options.stateDir + "/" + api::kMetricsTokenFile) : token;
    if (!metricsToken) {
        log::error(metricsToken.error().message);
        return 1;
    }
    auto store = jobs::JobStore::open(options.stateDir + "/jobs.db", options.keepJobs);
    if (!store) {
        log::error(store.error().message);
        return 1;
    }
    daemon::RealDaemonServices services(options.stateDir, std::move(*store));
    api::ApiServer server(services, *token, {}, *metricsToken);
    auto port = server.bind(options.port);
    if (!port) {
        log::error(port.error().message);
        return 1;
    }
    std::string endpointFile = options.stateDir + "/" + api::kEndpointFile;
    if (auto written = writePrivateFile(endpointFile, api::encodeEndpoint({*port, static_cast<int>(::getpid()), ""}) + "\n");
        !written) {
        log::error(written.error().message);
        return 1;
    }
    std::thread signalWaiter([&server, &services] {
        sigset_t signals;
        sigemptyset(&signals);
        sigaddset(&signals, SIGTERM);
        sigaddset(&signals, SIGINT);
        sigaddset(&signals, SIGHUP);
        int received = 0;
        sigwait(&signals, &received);
        log::info(std::string("received signal ") + strsignal(received) + ": shutting down");
        // Jobs first: their streams hold server threads until they end.
        if (!services.stopJobsForShutdown(std::string("shut down by ") + strsignal(received), std::chrono::seconds(8)))
            log::warn("some jobs were still stopping after 8 s: shutting down anyway");
        server.stop();
    });
    services.stopOrphanedJobs();
    services.watchNodes();
    log::info("ppcsd " PPCS_VERSION " listening on 127.0.0.1:" + std::to_string(*port) + ", state in " + options.stateDir);
    // Every engine connection checks this again (and refuses); the log says it once, at start.
    if (auto engine = model::endpointFromEnvironment(model::processDockerEnvironment()); !engine)
        log::warn("docker engine: " + engine.error().message);
    else if (auto warning = model::insecureWarning(*engine); !warning.empty())
        log::warn(warning);
    server.serve();
    // Before the lock is released (at exit): a successor waits for the lock, then writes its own.
    ::unlink(endpointFile.c_str());
    // serve() also returns when listening fails; wake the signal thread so it can be joined.
    ::kill(::getpid(), SIGTERM);
    signalWaiter.join();
    log::info("ppcsd stopped");
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    // Block the shutdown signals in every thread; one thread waits for them with sigwait.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    std::signal(SIGPIPE, SIG_IGN);
    try {
        auto options = parseOptions(argc, argv);
        if (!options) {
            std::fprintf(stderr, "ppcsd: %s\n", options.error().message.c_str());
            return 2;
        }
        return run(*options);
    } catch (const std::exception& e) {
        log::error(std::string("ppcsd: unexpected failure: ") + e.what());
        return 1;
    }
}
