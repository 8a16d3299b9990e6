#pragma once
// How the CLI speaks: one clear line per error on stderr, progress on stderr (a live line on a
// terminal, plain lines otherwise), results on stdout.

#include <cstdint>
#include <string>

#include "common/result.h"
#include "model/progress.h"

namespace ppcs::cli {

// Prints "ppcs-cluster: <message>" on stderr and returns the exit code for the error's kind.
int reportError(const Error& error);

// "12.3 MiB".
std::string formatMebibytes(std::uint64_t bytes);

// Progress lines from a long operation.
class ProgressDisplay {
public:
    ProgressDisplay();
    ~ProgressDisplay();
    // Lines marked permanent stay on screen; others replace each other on one live line
    // (terminal) or are printed as they come (anything else).
    void show(model::Phase phase, const std::string& text, bool permanent);
    void finish();

private:
    bool terminal_;
    bool liveLineShown_ = false;
    int width_;
};

}  // namespace ppcs::cli
