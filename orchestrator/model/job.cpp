#include "model/job.h"

#include <algorithm>
#include <cctype>
#include <optional>

#include "common/enum_names.h"
#include "common/strings.h"
#include "model/cluster_spec.h"

namespace ppcs::model {
namespace {

constexpr int kMaxRanks = 100000;
constexpr int kMaxTimeoutSeconds = 7 * 24 * 3600;

constexpr std::size_t kMaxEnvEntries = 1024;

bool isEnvName(std::string_view name) {
    if (name.empty() || std::isdigit(static_cast<unsigned char>(name.front()))) return false;
    return std::all_of(name.begin(), name.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

Status validateEnvEntry(const std::string& entry) {
    auto equals = entry.find('=');
    if (equals == std::string::npos) return makeError(ErrorCode::usage, "-e takes NAME=VALUE, not '" + entry + "'");
    if (!isEnvName(std::string_view(entry).substr(0, equals)))
        return makeError(ErrorCode::usage, "'" + entry.substr(0, equals) +
                                               "' is no environment variable name (letters, digits and _, not first a digit)");
    if (entry.find('\0') != std::string::npos) return makeError(ErrorCode::usage, "environment values cannot hold NUL bytes");
    return {};
}

Status validateWorkdir(const std::string& workdir) {
    if (workdir.find('\0') != std::string::npos || workdir.find('\n') != std::string::npos)
        return makeError(ErrorCode::usage, "--workdir cannot hold NUL bytes or line breaks");
    for (const auto& part : split(workdir, '/'))
        if (part == "..") return makeError(ErrorCode::usage, "--workdir cannot hold '..'");
    return {};
}

}  // namespace

const std::vector<std::string>& shippedExamples() {
    static const std::vector<std::string> examples{"hello_world", "any_source", "pingpong", "allgather_matvec"};
    return examples;
}

Status validateJobRequest(const JobRequest& request) {
    if (auto name = validateClusterName(request.cluster); !name) return name;
    if (request.program.empty()) return makeError(ErrorCode::usage, "run needs a PROGRAM (or -- CMD ARGS...)");
    if (request.program.front() == '-')
        return makeError(ErrorCode::usage, "PROGRAM '" + request.program + "' looks like an option");
    if (request.np < 0 || request.np > kMaxRanks)
        return makeError(ErrorCode::usage, "-n must be from 1 to " + std::to_string(kMaxRanks));
    if (request.perNode < 0 || request.perNode > kMaxSlots)
        return makeError(ErrorCode::usage, "--per-node must be from 1 to " + std::to_string(kMaxSlots));
    if (request.retries < 0 || request.retries > kMaxJobRetries)
        return makeError(ErrorCode::usage, "--retry must be from 0 to " + std::to_string(kMaxJobRetries));
    if (!request.array.empty())
        if (auto array = parseJobArray(request.array); !array) return array.error();
    if (request.arrayIndex < -1) return makeError(ErrorCode::usage, "array_index must be 0 or more");
    if (request.timeoutSeconds < 0 || request.timeoutSeconds > kMaxTimeoutSeconds)
        return makeError(ErrorCode::usage, "--timeout must be from 1 to " + std::to_string(kMaxTimeoutSeconds) + " seconds");
    if (!request.outputDir.empty() && request.outputDir.front() != '/')
        return makeError(ErrorCode::usage, "output_dir must be absolute");
    if (!request.localPath.empty() && request.localPath.front() != '/')
        return makeError(ErrorCode::usage, "local_path must be absolute");
    if (request.exe.find('/') != std::string::npos || request.exe == "." || request.exe == "..")
        return makeError(ErrorCode::usage, "--exe takes a file name, not a path");
    for (const auto& text : request.args)
        if (text.find('\0') != std::string::npos) return makeError(ErrorCode::usage, "arguments cannot hold NUL bytes");
    if (request.env.size() > kMaxEnvEntries)
        return makeError(ErrorCode::usage, "at most " + std::to_string(kMaxEnvEntries) + " environment entries");
    for (const auto& entry : request.env)
        if (auto valid = validateEnvEntry(entry); !valid) return valid;
    return validateWorkdir(request.workdir);
}

Result<std::vector<std::string>> parseEnvFile(std::string_view text) {
    std::vector<std::string> entries;
    int lineNumber = 0;
    for (const auto& raw : split(std::string(text), '\n')) {
        ++lineNumber;
        std::string line = raw;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (trim(line).empty() || trim(line).front() == '#') continue;
        if (auto valid = validateEnvEntry(line); !valid)
            return makeError(ErrorCode::usage, "line " + std::to_string(lineNumber) + ": " + valid.error().message);
        entries.push_back(line);
    }
    return entries;
}

namespace {

constexpr NameTable<JobState, 8> kStateNames{{{JobState::queued, "queued"},
                                              {JobState::running, "running"},
                                              {JobState::finished, "finished"},
                                              {JobState::failed, "failed"},
                                              {JobState::cancelled, "cancelled"},
                                              {JobState::timedOut, "timed-out"},
                                              {JobState::stopped, "stopped"},
                                              {JobState::interrupted, "interrupted"}}};

}  // namespace

// The table holds literals: their views end in a NUL.
const char* jobStateName(JobState state) { return nameIn(kStateNames, state, "unknown").data(); }

std::optional<JobState> jobStateFromName(std::string_view name) { return valueIn(kStateNames, name); }

Result<JobArray> parseJobArray(const std::string& text) {
    auto refuse = [&text] {
        return makeError(ErrorCode::usage, "--array takes FIRST-LAST[%MOST] (e.g. 1-16%4), not '" + text + "'");
    };
    auto number = [](const std::string& digits) -> std::optional<int> {
        if (digits.empty() || digits.size() > 6 || digits.find_first_not_of("0123456789") != std::string::npos)
            return std::nullopt;
        return std::stoi(digits);
    };
    auto percent = text.find('%');
    auto dash = text.find('-');
    std::string range = text.substr(0, percent);
    auto first = number(range.substr(0, dash));
    auto last = dash == std::string::npos ? first : number(range.substr(dash + 1));
    auto most = percent == std::string::npos ? std::optional<int>(0) : number(text.substr(percent + 1));
    if (!first || !last || !most || *last < *first || (percent != std::string::npos && *most < 1)) return refuse();
    if (*last - *first + 1 > kMaxArrayJobs)
        return makeError(ErrorCode::usage, "--array holds at most " + std::to_string(kMaxArrayJobs) + " jobs");
    return JobArray{*first, *last, *most};
}

Result<int> parseKeptJobs(const std::string& text, const std::string& what) {
    bool digits = !text.empty() && text.size() <= 9 && text.find_first_not_of("0123456789") == std::string::npos;
    if (digits && std::stoi(text) <= kMaxKeptJobs) return std::stoi(text);
    return makeError(ErrorCode::usage,
                     what + " takes a number of jobs from 0 to " + std::to_string(kMaxKeptJobs) + ", not '" + text + "'");
}

}  // namespace ppcs::model
