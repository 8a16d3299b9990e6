#include "support/run_process.h"

#include <boost/asio/io_context.hpp>
#include <boost/process.hpp>
#include <chrono>
#include <future>
#include <optional>

namespace ppcs::testing {

namespace bp = boost::process;

ProcessResult runProcess(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                         int timeLimitSeconds) {
    ProcessResult result;
    boost::asio::io_context io;
    std::future<std::string> out;
    std::future<std::string> err;
    auto environment = boost::this_process::environment();
    bp::environment childEnv = environment;
    for (const auto& [name, value] : env) childEnv[name] = value;
    std::vector<std::string> args(argv.begin() + 1, argv.end());
    // The exit code is taken from on_exit: with an io_context, Boost.Process reaps the child
    // itself and child.exit_code() can still hold its "still running" placeholder afterwards.
    std::optional<int> exitCode;
    // A bare name is looked up on PATH, as a shell would.
    std::string program = argv[0].find('/') == std::string::npos ? bp::search_path(argv[0]).string() : argv[0];
    if (program.empty()) {
        result.err = argv[0] + ": not found on PATH\n";
        return result;
    }
    bp::child child(program, bp::args(args), childEnv, bp::std_in<bp::null, bp::std_out> out, bp::std_err > err, io,
                    bp::on_exit([&exitCode](int code, const std::error_code&) { exitCode = code; }));
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeLimitSeconds);
    io.run_until(deadline);
    if (!exitCode) {
        std::error_code ignored;
        child.terminate(ignored);
        result.timedOut = true;
        io.restart();
        io.run_for(std::chrono::seconds(5));
    }
    result.exitCode = exitCode.value_or(-1);
    result.out = out.get();
    result.err = err.get();
    return result;
}

}  // namespace ppcs::testing
