#include "cli/output.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdio>

#include "cli/cli.h"
#include "common/strings.h"

namespace ppcs::cli {

std::string formatMebibytes(std::uint64_t bytes) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1f MiB", static_cast<double>(bytes) / 1048576.0);
    return text;
}

int reportError(const Error& error) {
    std::string message = error.message;
    for (auto& c : message)
        if (c == '\n' || c == '\r') c = ' ';
    std::fprintf(stderr, "ppcs-cluster: %s\n", message.c_str());
    return error.code == ErrorCode::usage ? kExitUsage : kExitFailure;
}

ProgressDisplay::ProgressDisplay() : terminal_(::isatty(STDERR_FILENO) == 1), width_(80) {
    winsize size{};
    if (terminal_ && ::ioctl(STDERR_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 20) width_ = size.ws_col;
}

ProgressDisplay::~ProgressDisplay() { finish(); }

void ProgressDisplay::show(model::Phase phase, const std::string& text, bool permanent) {
    std::string line = "[" + std::string(model::phaseName(phase)) + "] " + text;
    if (!terminal_) {
        std::fprintf(stderr, "%s\n", line.c_str());
        return;
    }
    std::string shown = truncateForDisplay(line, static_cast<std::size_t>(width_ - 1));
    std::fprintf(stderr, "\r\033[K%s", shown.c_str());
    if (permanent) {
        std::fputc('\n', stderr);
        liveLineShown_ = false;
    } else {
        liveLineShown_ = true;
    }
    std::fflush(stderr);
}

void ProgressDisplay::finish() {
    if (terminal_ && liveLineShown_) std::fprintf(stderr, "\r\033[K");
    liveLineShown_ = false;
    std::fflush(stderr);
}

}  // namespace ppcs::cli
