// Parsing of the ppcs-cluster command line: the table of command groups, unknown commands, run's
// untouched words. Nothing here talks to ppcsd: the chosen command's action does, when main runs it.

#include "cli/command_line.h"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <optional>
#include <set>

#include "cli/cli.h"
#include "cli/completion.h"
#include "cli/man_page.h"
#include "cli/output.h"
#include "common/files.h"

namespace ppcs::cli {
namespace {

using CommandGroup = void (*)(CLI::App&, const GlobalOptions&, Action&);
constexpr CommandGroup kCommandGroups[] = {addClusterCommands, addJobCommands,      addFileCommands,     addShellCommand,
                                           addBenchCommands,   addHostCommands,     addBuildCommand,     addVersionCommand,
                                           addDaemonCommands,  addDashboardCommand, addCompletionCommand};

CLI::App* findSubcommand(CLI::App& app, const std::string& name) {
    for (auto* sub : app.get_subcommands([](CLI::App*) { return true; }))
        if (sub->get_name() == name) return sub;
    return nullptr;
}

// True when word is an option of app that takes a value in the next word (`--limit 5`, not
// `--limit=5` nor a flag).
bool takesNextWord(CLI::App& app, const std::string& word) {
    if (word.find('=') != std::string::npos) return false;
    const CLI::Option* option = app.get_option_no_throw(word);
    return option != nullptr && option->get_items_expected_min() > 0;
}

// Walks the command words ("daemon", "stop") and returns an error naming the first one that is no
// command at its level, so `ppcs-cluster frob` says "unknown command" rather than CLI11's
// "a subcommand is required". Words after a command without subcommands are that command's own,
// and so is an option's value (`jobs --limit 5` beside `jobs prune`).
std::optional<Error> unknownCommand(CLI::App& app, int argc, char** argv) {
    CLI::App* level = &app;
    std::string path;
    for (int i = 1; i < argc; ++i) {
        std::string word = argv[i];
        if (word == "--state-dir") {
            ++i;
            continue;
        }
        if (word.empty() || word[0] == '-') {
            if (takesNextWord(*level, word)) ++i;
            continue;
        }
        if (level->get_subcommands([](CLI::App*) { return true; }).empty()) return std::nullopt;
        path += (path.empty() ? "" : " ") + word;
        level = findSubcommand(*level, word);
        if (level == nullptr) return makeError(ErrorCode::usage, "unknown command '" + path + "' (see --help)");
    }
    return std::nullopt;
}

// For `shell`, cuts argv after "--": the command's own words, kept untouched.
int splitShellWords(int argc, char** argv, int command, GlobalOptions& global) {
    for (int i = command + 1; i < argc; ++i) {
        if (std::string(argv[i]) != "--") continue;
        global.runCommandGiven = true;
        global.runWords.assign(argv + i + 1, argv + argc);
        return i;
    }
    return argc;
}

// For `run` and `submit`, cuts argv where the program's own words start: at the first word that is not one of
// run's options (or an option's value), or after "--". Those words are kept untouched.
int splitRunWords(int argc, char** argv, GlobalOptions& global) {
    static const std::set<std::string> withValue{"-n",       "--np",    "--per-node", "--timeout",  "--name",
                                                 "--exe",    "-e",      "--env",      "--env-file", "--workdir",
                                                 "--output", "--retry", "--array",    "--state-dir"};
    int command = 1;
    while (command < argc && argv[command][0] == '-') command += withValue.count(argv[command]) ? 2 : 1;
    if (command < argc && std::string(argv[command]) == "shell") return splitShellWords(argc, argv, command, global);
    if (command >= argc || (std::string(argv[command]) != "run" && std::string(argv[command]) != "submit")) return argc;
    for (int i = command + 1; i < argc; ++i) {
        std::string word = argv[i];
        if (word == "--") {
            global.runCommandGiven = true;
            global.runWords.assign(argv + i + 1, argv + argc);
            return i;
        }
        if (!word.empty() && word[0] == '-') {
            if (withValue.count(word)) ++i;
            continue;
        }
        global.runWords.assign(argv + i, argv + argc);
        return i;
    }
    return argc;
}

}  // namespace

CLI::Option* addClusterNameOption(CLI::App* command, std::string& name, const std::string& description) {
    return command->add_option("--name", name, description)->capture_default_str()->type_name(kClusterValue);
}

void declareCommands(CLI::App& app, GlobalOptions& global, Action& action) {
    app.name(kProgramName);
    app.description(std::string(kProgramName) + ": a ready MPI cluster on Docker in one command");
    app.require_subcommand(1);
    app.fallthrough();  // --json and --state-dir also after the command: `ppcs-cluster ips --json`
    app.add_flag("--json", global.json, "Machine-readable output on stdout");
    app.add_option("--state-dir", global.stateDir, "ppcsd's state directory (default $PPCS_STATE_DIR or ~/.local/state/ppcs)")
        ->type_name(kDirValue);
    for (auto group : kCommandGroups) group(app, global, action);
}

int parseCommandLine(int argc, char** argv, GlobalOptions& global, Action& action) {
    CLI::App app;
    declareCommands(app, global, action);
    // The hidden generators read the declarations above, and nothing else.
    if (argc > 1 && std::string(argv[1]) == kCompleteCommand)
        return printCompletion(app, std::vector<std::string>(argv + 2, argv + argc));
    if (argc > 1 && std::string(argv[1]) == kManPageCommand) {
        std::fputs(manPage(app).c_str(), stdout);
        return 0;
    }
    argc = splitRunWords(argc, argv, global);
    global.stateDir = stateDirectory();
    if (auto unknown = unknownCommand(app, argc, argv)) return reportError(*unknown);
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& help) {
        return app.exit(help);
    } catch (const CLI::CallForAllHelp& help) {
        return app.exit(help);
    } catch (const CLI::ParseError& error) {
        std::string message = error.what();
        if (message.empty()) message = "invalid command line";
        return reportError(makeError(ErrorCode::usage, message + " (see --help)"));
    }
    if (global.stateDir.empty() || global.stateDir.front() != '/')
        return reportError(makeError(ErrorCode::usage, "--state-dir must be an absolute path"));
    return action ? kRunAction : kExitUsage;
}

}  // namespace ppcs::cli
