#include "image/process_runner.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <boost/process.hpp>
#include <boost/process/extend.hpp>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

namespace ppcs::image {
namespace {

namespace bp = boost::process;

constexpr std::size_t kKeptLines = 12;
constexpr std::chrono::seconds kStopGrace{3};

// Stops the child's whole process group when the time limit runs out. Killing the direct child alone
// is not enough: debootstrap runs chroot'ed dpkg, apt and maintainer scripts, which survived it and
// kept the output pipe open, so reading never ended. The group is signalled only while the child is
// still unreaped (the caller joins this before waiting for it), so its id cannot name another group.
class GroupWatchdog {
public:
    GroupWatchdog(pid_t group, std::chrono::steady_clock::time_point deadline)
        : thread_([this, group, deadline] { watch(group, deadline); }) {}
    GroupWatchdog(const GroupWatchdog&) = delete;
    GroupWatchdog& operator=(const GroupWatchdog&) = delete;
    ~GroupWatchdog() { finish(); }

    // The output reached its end: no process holds the pipe any more. Returns once the watchdog is done.
    void finish() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            outputClosed_ = true;
        }
        changed_.notify_all();
        if (thread_.joinable()) thread_.join();
    }
    bool timedOut() const { return timedOut_; }

private:
    void watch(pid_t group, std::chrono::steady_clock::time_point deadline) {
        std::unique_lock<std::mutex> lock(mutex_);
        if (changed_.wait_until(lock, deadline, [this] { return outputClosed_; })) return;
        timedOut_ = true;
        ::kill(-group, SIGTERM);
        // TERM lets debootstrap and dpkg clean up; whatever still runs after the grace is killed.
        changed_.wait_for(lock, kStopGrace, [this] { return outputClosed_; });
        ::kill(-group, SIGKILL);
    }

    std::mutex mutex_;
    std::condition_variable changed_;
    bool outputClosed_ = false;
    std::atomic<bool> timedOut_{false};
    std::thread thread_;  // last: starts once the members above exist
};

class BoostProcessRunner final : public ProcessRunner {
public:
    Result<ProcessOutcome> run(const ProcessSpec& spec, const LineSink& onLine) override {
        if (spec.argv.empty()) return makeError(ErrorCode::usage, "run process: empty argv");
        auto program = resolve(spec.argv[0]);
        if (!program) return program.error();
        std::vector<std::string> args(spec.argv.begin() + 1, spec.argv.end());
        bp::ipstream output;
        std::error_code launchError;
        // Its own process group, so that a timeout can stop every process it started.
        bp::child child(*program, bp::args(args), (bp::std_out & bp::std_err) > output, bp::std_in < bp::null,
                        bp::extend::on_exec_setup([](auto&) { ::setpgid(0, 0); }), launchError);
        if (launchError) return makeError(ErrorCode::failed, "start " + spec.argv[0] + ": " + launchError.message());
        GroupWatchdog watchdog(child.id(), std::chrono::steady_clock::now() + spec.timeLimit);
        std::deque<std::string> lastLines;
        for (std::string line; std::getline(output, line);) {
            if (onLine) onLine(line);
            lastLines.push_back(line);
            if (lastLines.size() > kKeptLines) lastLines.pop_front();
        }
        watchdog.finish();
        std::error_code waitError;
        child.wait(waitError);
        if (watchdog.timedOut())
            return makeError(ErrorCode::timeout, spec.argv[0] + " timed out after " + std::to_string(spec.timeLimit.count()) +
                                                     " s: it and every process it started were stopped");
        ProcessOutcome outcome;
        outcome.exitCode = child.exit_code();
        for (const auto& line : lastLines) outcome.lastLines += line + "\n";
        return outcome;
    }

private:
    static Result<boost::filesystem::path> resolve(const std::string& name) {
        if (name.find('/') != std::string::npos) {
            if (boost::filesystem::exists(name)) return boost::filesystem::path(name);
        } else {
            // sbin directories too: debootstrap lives in /usr/sbin, which a user's PATH may lack.
            auto path = boost::this_process::path();
            for (const char* extra : {"/usr/local/sbin", "/usr/sbin", "/sbin"}) path.emplace_back(extra);
            auto found = bp::search_path(name, path);
            if (!found.empty()) return found;
        }
        return makeError(ErrorCode::notFound, "'" + name + "' is not installed (not found on PATH)");
    }
};

}  // namespace

std::unique_ptr<ProcessRunner> makeProcessRunner() { return std::make_unique<BoostProcessRunner>(); }

}  // namespace ppcs::image
