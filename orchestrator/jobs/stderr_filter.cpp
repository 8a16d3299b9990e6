#include "jobs/stderr_filter.h"

#include <algorithm>
#include <cctype>

namespace ppcs::jobs {
namespace {

// Open MPI 4.1's orte/mca/plm/rsh: "plm:rsh: Warning: setpgid(%ld,%ld) failed in parent with
// errno=%s(%d)\n", written by opal_output(0, ...), whose stream puts "[HOST:PID] " before it (seen
// from a real run: "[exp9-head:00203] plm:rsh: ..."). The line is also recognised without it.
constexpr std::string_view kNoiseStart = "plm:rsh: Warning: setpgid(";
constexpr std::string_view kNoiseMiddle = ") failed in parent with errno=";
constexpr std::string_view kPrefixEnd = "] ";

// Reads digits at position at; false when there are none.
bool skipDigits(std::string_view text, std::size_t& at) {
    std::size_t start = at;
    while (at < text.size() && std::isdigit(static_cast<unsigned char>(text[at]))) ++at;
    return at > start;
}

// Moves at past the "[HOST:PID] " that text starts with, if it starts with '['; at stays 0
// otherwise. False when text cannot start with that prefix; true with at == text.size() when text
// ends inside it.
bool skipOutputPrefix(std::string_view text, std::size_t& at) {
    at = 0;
    if (text.empty() || text[0] != '[') return true;
    std::size_t colon = text.find_first_of(":] \n", 1);
    if (colon == std::string_view::npos) {
        at = text.size();
        return true;
    }
    if (text[colon] != ':' || colon == 1) return false;
    at = colon + 1;
    bool digits = skipDigits(text, at);
    if (at == text.size()) return true;
    if (!digits) return false;
    std::string_view rest = text.substr(at);
    std::size_t common = std::min(rest.size(), kPrefixEnd.size());
    if (rest.substr(0, common) != kPrefixEnd.substr(0, common)) return false;
    at += common;
    return true;
}

// Could text (a line's start, no '\n' yet) still become the noise line? Checked as far as it goes:
// the prefix if any, the fixed start, the two pids, the fixed middle; the errno text after it can be anything.
bool mayBecomeNoise(std::string_view text) {
    std::size_t prefixEnd = 0;
    if (!skipOutputPrefix(text, prefixEnd)) return false;
    text.remove_prefix(prefixEnd);
    std::size_t common = std::min(text.size(), kNoiseStart.size());
    if (text.substr(0, common) != kNoiseStart.substr(0, common)) return false;
    std::size_t at = kNoiseStart.size();
    if (at >= text.size()) return true;
    bool digits = skipDigits(text, at);
    if (at == text.size()) return true;
    if (!digits || text[at++] != ',') return false;
    digits = skipDigits(text, at);
    if (at == text.size()) return true;
    if (!digits) return false;
    std::string_view rest = text.substr(at);
    common = std::min(rest.size(), kNoiseMiddle.size());
    return rest.substr(0, common) == kNoiseMiddle.substr(0, common);
}

}  // namespace

bool StderrNoiseFilter::isNoise(std::string_view line) {
    std::size_t prefixEnd = 0;
    if (!skipOutputPrefix(line, prefixEnd)) return false;
    line.remove_prefix(prefixEnd);
    if (line.size() < 2 || line.back() != '\n' || line.substr(0, kNoiseStart.size()) != kNoiseStart) return false;
    std::string_view body = line.substr(0, line.size() - 1);
    std::size_t at = kNoiseStart.size();
    if (!skipDigits(body, at) || at >= body.size() || body[at++] != ',' || !skipDigits(body, at)) return false;
    if (body.substr(at, kNoiseMiddle.size()) != kNoiseMiddle) return false;
    // errno=TEXT(NUMBER) to the end of the line.
    if (body.empty() || body.back() != ')') return false;
    std::size_t open = body.rfind('(');
    if (open == std::string_view::npos || open < at + kNoiseMiddle.size()) return false;
    std::size_t number = open + 1;
    return skipDigits(body, number) && number == body.size() - 1;
}

void StderrNoiseFilter::settle(std::string& out) {
    if (!isNoise(held_)) out += held_;
    held_.clear();
}

std::string StderrNoiseFilter::feed(std::string_view piece) {
    std::string out;
    while (!piece.empty()) {
        std::size_t newline = piece.find('\n');
        std::size_t lineEnd = newline == std::string_view::npos ? piece.size() : newline + 1;
        std::string_view part = piece.substr(0, lineEnd);
        piece.remove_prefix(lineEnd);
        bool ended = newline != std::string_view::npos;
        if (passingLine_) {
            out += part;
        } else {
            held_ += part;
            if (ended) {
                settle(out);
            } else if (!mayBecomeNoise(held_) || held_.size() > kMostHeldBytes) {
                out += held_;
                held_.clear();
                passingLine_ = true;
            }
        }
        if (ended) passingLine_ = false;
    }
    return out;
}

std::string StderrNoiseFilter::finish() {
    std::string out;
    out.swap(held_);
    passingLine_ = false;
    return out;
}

}  // namespace ppcs::jobs
