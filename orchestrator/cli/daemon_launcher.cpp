#include "cli/daemon_launcher.h"

#include <fcntl.h>
#include <unistd.h>

#include <boost/process.hpp>
#include <boost/process/extend.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "common/files.h"
#include "common/strings.h"
#include "model/endpoint.h"

namespace ppcs::cli {
namespace {

namespace bp = boost::process;

constexpr int kStartPolls = 100;
constexpr auto kStartPollInterval = std::chrono::milliseconds(100);

std::string daemonBinary() {
    if (const char* configured = std::getenv("PPCS_DAEMON"); configured && *configured) return configured;
    return executableDirectory() + "/ppcsd";
}

std::string lastLogLine(const std::string& logPath) {
    auto log = readFile(logPath);
    if (!log) return "";
    auto lines = split(std::string(trim(*log)), '\n');
    return lines.empty() ? "" : lines.back();
}

Status spawnDaemon(const std::string& stateDir) {
    std::string binary = daemonBinary();
    if (::access(binary.c_str(), X_OK) != 0)
        return makeError(ErrorCode::unavailable, "cannot start ppcsd: '" + binary + "' is not executable");
    if (auto made = ensurePrivateDirectory(stateDir); !made) return made;
    std::string logPath = stateDir + "/" + api::kLogFile;
    int logFd = ::open(logPath.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (logFd < 0) return makeError(ErrorCode::failed, "open '" + logPath + "'");
    std::error_code launchError;
    // A new session, so the daemon outlives this terminal and its Ctrl-C; output to the log.
    bp::child child(binary, "--state-dir", stateDir, bp::std_in < bp::null, launchError,
                    bp::extend::on_exec_setup([logFd](auto&) {
                        ::setsid();
                        ::dup2(logFd, STDOUT_FILENO);
                        ::dup2(logFd, STDERR_FILENO);
                    }));
    ::close(logFd);
    if (launchError) return makeError(ErrorCode::failed, "start ppcsd: " + launchError.message());
    child.detach();
    return {};
}

}  // namespace

namespace {

// The running daemon's endpoint and the identity of the binary it was started from.
Result<std::pair<api::Endpoint, std::string>> askRunningDaemon(const std::string& stateDir) {
    auto endpoint = api::readEndpoint(stateDir);
    if (!endpoint) return makeError(ErrorCode::unavailable, "ppcsd is not running");
    auto version = api::ApiClient(*endpoint).version();
    if (!version) return makeError(ErrorCode::unavailable, "ppcsd is not running (" + version.error().message + ")");
    return std::make_pair(*endpoint, version->binaryId);
}

}  // namespace

Result<api::Endpoint> findRunningDaemon(const std::string& stateDir) {
    auto running = askRunningDaemon(stateDir);
    if (!running) return running.error();
    return running->first;
}

bool waitUntilStopped(const std::string& stateDir) {
    for (int poll = 0; poll < kStartPolls; ++poll) {
        if (!findRunningDaemon(stateDir)) return true;
        std::this_thread::sleep_for(kStartPollInterval);
    }
    return false;
}

Result<api::Endpoint> ensureDaemon(const std::string& stateDir) {
    // ppcsd reaches the engine this environment names (it inherits it): plain TCP is refused here,
    // before anything starts, and when allowed warned about at every use.
    auto engine = model::endpointFromEnvironment(model::processDockerEnvironment());
    if (!engine) return engine.error();
    if (auto warning = model::insecureWarning(*engine); !warning.empty()) std::fprintf(stderr, "%s\n", warning.c_str());
    if (auto running = askRunningDaemon(stateDir)) {
        // A daemon started from a binary that has since been rebuilt or upgraded is replaced, so
        // that the CLI never talks to code older than itself.
        std::string onDisk = fileIdentity(daemonBinary());
        if (onDisk.empty() || running->second == onDisk) return running->first;
        if (!api::ApiClient(running->first).stop() || !waitUntilStopped(stateDir)) return running->first;
    }
    if (auto spawned = spawnDaemon(stateDir); !spawned) return spawned.error();
    for (int poll = 0; poll < kStartPolls; ++poll) {
        std::this_thread::sleep_for(kStartPollInterval);
        if (auto running = findRunningDaemon(stateDir)) return running;
    }
    std::string logPath = stateDir + "/" + api::kLogFile;
    return makeError(ErrorCode::unavailable, "ppcsd did not answer within 10 s (" + logPath + ": " + lastLogLine(logPath) + ")");
}

}  // namespace ppcs::cli
