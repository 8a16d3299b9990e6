// Completion follows the words before the cursor as the parser would (a subcommand descends, an
// option skips its value), then offers what the declaration says fits at the cursor. Values are
// told apart by their value name (cli.h), the one --help shows.

#include "cli/completion.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <set>

#include "api/client.h"
#include "cli/cli.h"
#include "common/files.h"
#include "common/strings.h"

namespace ppcs::cli {
namespace {

// How long ppcsd may take to answer: a stopped or wedged daemon must not hold up the shell. The
// script adds an outer limit of its own.
constexpr std::chrono::milliseconds kDaemonLimit{800};
constexpr int kJobsOffered = 100;

bool isOptionWord(const std::string& word) { return word.size() > 1 && word[0] == '-'; }

// Hidden commands (no group) are neither offered nor entered.
std::vector<const CLI::App*> visibleSubcommands(const CLI::App& app) {
    return app.get_subcommands([](const CLI::App* sub) { return !sub->get_group().empty(); });
}

const CLI::App* findSubcommand(const CLI::App& app, const std::string& name) {
    for (const CLI::App* sub : visibleSubcommands(app))
        if (sub->get_name() == name) return sub;
    return nullptr;
}

// The option a word names at this level or at a level above (the global options are accepted
// after a command too).
const CLI::Option* findOption(const CLI::App* level, const std::string& word) {
    std::string name = word.substr(0, word.find('='));
    for (; level != nullptr; level = level->get_parent())
        if (const CLI::Option* option = level->get_option_no_throw(name); option && option->nonpositional()) return option;
    return nullptr;
}

bool takesValue(const CLI::Option* option) { return option != nullptr && option->get_items_expected_min() > 0; }

// The positional that the index-th plain word of a level fills, or none when the level has no
// more (a vector positional takes every word left).
const CLI::Option* positionalAt(const CLI::App* level, std::size_t index) {
    for (const CLI::Option* option : level->get_options([](const CLI::Option* o) { return o->get_positional(); })) {
        auto takes = static_cast<std::size_t>(std::max(option->get_items_expected_max(), 1));
        if (index < takes) return option;
        index -= takes;
    }
    return nullptr;
}

struct Walk {
    const CLI::App* level = nullptr;
    std::size_t positionals = 0;  // plain words of this level so far
    bool foreignWords = false;    // after "--" or run's PROGRAM: the words are not ppcs-cluster's
    std::string stateDir;
};

// For the option word at words[i]: how many words after it are its value ("--limit 5" one,
// "--limit = 5" two, "--limit=5" and flags none), noting --state-dir's value on the way.
std::size_t valueWords(Walk& walk, const std::vector<std::string>& words, std::size_t i, std::size_t current) {
    const std::string& word = words[i];
    bool stateDir = word.compare(0, word.find('='), "--state-dir") == 0;
    if (word.find('=') != std::string::npos) {
        if (stateDir) walk.stateDir = word.substr(word.find('=') + 1);
        return 0;
    }
    if (!takesValue(findOption(walk.level, word))) return 0;
    std::size_t skipped = i + 1 < current && words[i + 1] == "=" ? 2 : 1;
    if (stateDir && i + skipped < current) walk.stateDir = words[i + skipped];
    return skipped;
}

Walk walkWords(const CLI::App& app, const std::vector<std::string>& words, std::size_t current) {
    Walk walk;
    walk.level = &app;
    for (std::size_t i = 1; i < current; ++i) {
        const std::string& word = words[i];
        if (word == "--") {
            walk.foreignWords = true;
            break;
        }
        if (isOptionWord(word)) {
            i += valueWords(walk, words, i, current);
            continue;
        }
        if (walk.positionals == 0)
            if (const CLI::App* sub = findSubcommand(*walk.level, word)) {
                walk.level = sub;
                continue;
            }
        if (positionalAt(walk.level, walk.positionals) == nullptr) {
            walk.foreignWords = true;  // `run PROGRAM ARGS...`: the program's own words
            break;
        }
        ++walk.positionals;
    }
    return walk;
}

// The option whose value is at the cursor, if any: "--name CUR", "--name = CUR", "--name =".
const CLI::Option* optionBeforeCursor(const Walk& walk, const std::vector<std::string>& words, std::size_t current) {
    const std::string& previous = words[current - 1];
    std::string option = previous == "=" && current >= 2 ? words[current - 2] : previous;
    if (!isOptionWord(option) || option.find('=') != std::string::npos) return nullptr;
    const CLI::Option* found = findOption(walk.level, option);
    return takesValue(found) ? found : nullptr;
}

Completion valueCompletion(const CLI::Option* option, Completion completion) {
    std::string valueName = option->get_type_name();
    if (valueName == kClusterValue || valueName == kJobIdValue)
        completion.askDaemon = valueName;
    else if (valueName == kFileValue || valueName == kPathValue)
        completion.kind = CompletionKind::files;
    else if (valueName == kDirValue)
        completion.kind = CompletionKind::directories;
    return completion;  // any other value: nothing to offer
}

// Every option name valid at the level (its own and those of the levels above) that starts with prefix.
std::vector<std::string> optionNames(const CLI::App* level, const std::string& prefix) {
    std::set<std::string> names;
    for (; level != nullptr; level = level->get_parent())
        for (const CLI::Option* option : level->get_options()) {
            for (const auto& name : option->get_lnames()) names.insert("--" + name);
            for (const auto& name : option->get_snames()) names.insert("-" + name);
        }
    std::vector<std::string> fitting;
    for (const auto& name : names)
        if (startsWith(name, prefix)) fitting.push_back(name);
    return fitting;
}

std::vector<std::string> subcommandNames(const CLI::App& level, const std::string& prefix) {
    std::vector<std::string> fitting;
    for (const CLI::App* sub : visibleSubcommands(level))
        if (startsWith(sub->get_name(), prefix)) fitting.push_back(sub->get_name());
    return fitting;
}

// Cluster names or job ids from the ppcsd running for stateDir; nothing when none answers.
std::vector<std::string> askRunningDaemon(const std::string& valueName, const std::string& stateDir) {
    auto endpoint = api::readEndpoint(stateDir);
    if (!endpoint) return {};
    api::ApiClient client(*endpoint, std::chrono::duration_cast<std::chrono::seconds>(kDaemonLimit), kDaemonLimit);
    if (valueName == kClusterValue) {
        auto names = client.listClusters();
        return names ? *names : std::vector<std::string>{};
    }
    auto jobs = client.listJobs(kJobsOffered);
    std::vector<std::string> ids;
    if (jobs)
        for (const auto& job : *jobs) ids.push_back(std::to_string(job.id));
    return ids;
}

const char* kindName(CompletionKind kind) {
    switch (kind) {
        case CompletionKind::files:
            return "files";
        case CompletionKind::directories:
            return "dirs";
        case CompletionKind::words:
            break;
    }
    return "words";
}

}  // namespace

Completion completeCommandLine(CLI::App& app, const std::vector<std::string>& words, std::size_t current) {
    Completion completion;
    if (current == 0 || current >= words.size()) return completion;
    Walk walk = walkWords(app, words, current);
    completion.stateDir = walk.stateDir;
    const std::string& word = words[current];
    completion.prefix = word == "=" ? "" : word;
    if (walk.foreignWords) {
        completion.kind = CompletionKind::files;
        return completion;
    }
    if (const CLI::Option* option = optionBeforeCursor(walk, words, current)) return valueCompletion(option, completion);
    if (isOptionWord(word) || word == "-") {
        completion.words = optionNames(walk.level, word);
        return completion;
    }
    if (walk.positionals == 0 && !visibleSubcommands(*walk.level).empty()) {
        completion.words = subcommandNames(*walk.level, word);
        return completion;
    }
    if (const CLI::Option* positional = positionalAt(walk.level, walk.positionals))
        return valueCompletion(positional, completion);
    completion.kind = CompletionKind::files;  // run's PROGRAM
    return completion;
}

int printCompletion(CLI::App& app, const std::vector<std::string>& args) {
    Completion completion;
    if (args.size() >= 2 && !args[0].empty() && args[0].size() < 6 &&
        args[0].find_first_not_of("0123456789") == std::string::npos) {
        std::vector<std::string> words(args.begin() + 1, args.end());
        completion = completeCommandLine(app, words, std::stoul(args[0]));
    }
    if (!completion.askDaemon.empty()) {
        std::string stateDir = completion.stateDir.empty() ? stateDirectory() : completion.stateDir;
        for (auto& value : askRunningDaemon(completion.askDaemon, stateDir))
            if (startsWith(value, completion.prefix)) completion.words.push_back(value);
    }
    std::printf("%s\n", kindName(completion.kind));
    for (const auto& word : completion.words) std::printf("%s\n", word.c_str());
    return 0;
}

std::string bashCompletionScript() {
    return R"(# bash completion for ppcs-cluster. Every candidate comes from the CLI itself
# (`ppcs-cluster __complete`), so new commands and options need no change here.
# Load it with: source <(ppcs-cluster completion bash)
_ppcs_cluster() {
    COMPREPLY=()
    local reply current=${COMP_WORDS[COMP_CWORD]}
    [[ $current == "=" ]] && current=
    reply=$(timeout 3 "${COMP_WORDS[0]}" __complete "$COMP_CWORD" "${COMP_WORDS[@]}" 2>/dev/null) || return 0
    local -a lines
    mapfile -t lines <<<"$reply"
    case ${lines[0]} in
    words) COMPREPLY=("${lines[@]:1}") ;;
    files)
        compopt -o filenames 2>/dev/null
        mapfile -t COMPREPLY < <(compgen -f -- "$current")
        ;;
    dirs)
        compopt -o filenames 2>/dev/null
        mapfile -t COMPREPLY < <(compgen -d -- "$current")
        ;;
    esac
    return 0
}
complete -F _ppcs_cluster ppcs-cluster
)";
}

namespace {

int printBashCompletion() {
    std::fputs(bashCompletionScript().c_str(), stdout);
    return 0;
}

}  // namespace

void addCompletionCommand(CLI::App& app, const GlobalOptions&, Action& action) {
    auto* completion = app.add_subcommand("completion", "Print a shell completion script");
    completion->require_subcommand(1);
    completion
        ->add_subcommand("bash",
                         "The bash completion script: source <(ppcs-cluster completion bash), or install it "
                         "as /usr/share/bash-completion/completions/ppcs-cluster")
        ->callback([&action] { action = printBashCompletion; });
}

}  // namespace ppcs::cli
