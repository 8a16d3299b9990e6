#include "model/shell_request.h"

#include <cctype>

#include "model/cluster_spec.h"

namespace ppcs::model {
namespace {

constexpr std::size_t kMaxCommandWords = 4096;

bool termIsPlain(const std::string& term) {
    if (term.size() > 64) return false;
    for (char c : term)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '+' && c != '-' && c != '_') return false;
    return true;
}

}  // namespace

Status validateShellRequest(const ShellRequest& request) {
    if (auto name = validateClusterName(request.cluster); !name) return name;
    if (request.node < 0 || request.node > 99999)
        return makeError(ErrorCode::usage, "--node must be a node's number from 1 to 99999 (see `ppcs-cluster status`)");
    if (request.cols < 0 || request.cols > kMaxTerminalSide || request.rows < 0 || request.rows > kMaxTerminalSide)
        return makeError(ErrorCode::usage,
                         "terminal size must be from 0 to " + std::to_string(kMaxTerminalSide) + " columns and rows");
    if (!termIsPlain(request.term))
        return makeError(ErrorCode::usage, "TERM may hold only letters, digits and '.+-_' (at most 64)");
    if (request.command.size() > kMaxCommandWords) return makeError(ErrorCode::usage, "the command has more than 4096 words");
    for (const auto& word : request.command)
        if (word.find('\0') != std::string::npos) return makeError(ErrorCode::usage, "the command holds a NUL byte");
    if (request.tty && !request.attachStdin) return makeError(ErrorCode::usage, "a terminal needs input");
    return {};
}

}  // namespace ppcs::model
