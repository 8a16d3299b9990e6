#include "image/process_runner.h"

#include <boost/process.hpp>
#include <deque>
#include <thread>

namespace ppcs::image {
namespace {

namespace bp = boost::process;

constexpr std::size_t kKeptLines = 12;

class BoostProcessRunner final : public ProcessRunner {
public:
    Result<ProcessOutcome> run(const ProcessSpec& spec, const LineSink& onLine) override {
        if (spec.argv.empty()) return makeError(ErrorCode::usage, "run process: empty argv");
        auto program = resolve(spec.argv[0]);
        if (!program) return program.error();
        std::vector<std::string> args(spec.argv.begin() + 1, spec.argv.end());
        bp::ipstream output;
        std::error_code launchError;
        bp::child child(*program, bp::args(args), (bp::std_out & bp::std_err) > output, bp::std_in < bp::null, launchError);
        if (launchError) return makeError(ErrorCode::failed, "start " + spec.argv[0] + ": " + launchError.message());
        auto deadline = std::chrono::steady_clock::now() + spec.timeLimit;
        std::atomic<bool> timedOut{false};
        std::thread watchdog([&] {
            while (child.running() && std::chrono::steady_clock::now() < deadline)
                std::this_thread::sleep_for(std::chrono::milliseconds(200));
            if (child.running()) {
                timedOut = true;
                std::error_code ignored;
                child.terminate(ignored);
            }
        });
        std::deque<std::string> lastLines;
        for (std::string line; std::getline(output, line);) {
            if (onLine) onLine(line);
            lastLines.push_back(line);
            if (lastLines.size() > kKeptLines) lastLines.pop_front();
        }
        std::error_code waitError;
        child.wait(waitError);
        watchdog.join();
        if (timedOut)
            return makeError(ErrorCode::timeout, spec.argv[0] + " ran longer than " + std::to_string(spec.timeLimit.count()) + " s and was stopped");
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
