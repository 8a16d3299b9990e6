#pragma once
// Shared pieces of the ppcs-cluster command line: the parsed global options, and the
// registration function of each command group (one file each).

#include <functional>
#include <string>
#include <vector>

namespace CLI {
class App;
class Option;
}  // namespace CLI

namespace ppcs::cli {

// Exit codes: 0 success, 1 failure, 2 usage error, 3 "not running" from `daemon status`.
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitNotRunning = 3;

struct GlobalOptions {
    bool json = false;     // machine-readable output on stdout
    std::string stateDir;  // ppcsd's state directory
    // `run [OPTIONS] PROGRAM ARGS...` or `run [OPTIONS] -- CMD ARGS...`: the words from PROGRAM
    // (or after "--") on, which no option parsing touches. Also `shell [OPTIONS] -- CMD ARGS...`.
    bool runCommandGiven = false;  // "--" was used
    std::vector<std::string> runWords;
};

// Value names: what --help shows for a value, and what tells shell completion (completion.h)
// what to offer for it. A value declared with one of these is completed without further code.
inline constexpr const char* kClusterValue = "CLUSTER";  // a cluster's name, asked from ppcsd
inline constexpr const char* kJobIdValue = "JOB_ID";     // a job id, asked from ppcsd
inline constexpr const char* kFileValue = "FILE";        // a local file
inline constexpr const char* kDirValue = "DIR";          // a local directory
inline constexpr const char* kPathValue = "PATH";        // a local path (or, for cp, :PATH in the shared folder)

// `--name CLUSTER` (default: the default cluster's name) bound to name.
CLI::Option* addClusterNameOption(CLI::App* command, std::string& name, const std::string& description = "Cluster name");

// A command group adds its subcommands to app; the chosen one stores its action in action.
using Action = std::function<int()>;
void addBuildCommand(CLI::App& app, const GlobalOptions& global, Action& action);
void addVersionCommand(CLI::App& app, const GlobalOptions& global, Action& action);
void addDaemonCommands(CLI::App& app, const GlobalOptions& global, Action& action);
void addClusterCommands(CLI::App& app, const GlobalOptions& global, Action& action);
void addJobCommands(CLI::App& app, const GlobalOptions& global, Action& action);
void addBenchCommands(CLI::App& app, const GlobalOptions& global, Action& action);
void addHostCommands(CLI::App& app, const GlobalOptions& global, Action& action);
void addFileCommands(CLI::App& app, const GlobalOptions& global, Action& action);
void addShellCommand(CLI::App& app, const GlobalOptions& global, Action& action);
void addDashboardCommand(CLI::App& app, const GlobalOptions& global, Action& action);
void addCompletionCommand(CLI::App& app, const GlobalOptions& global, Action& action);

}  // namespace ppcs::cli
