#pragma once
// Keeps launcher noise out of a job's stderr (pure). Under load, Open MPI 4.1's ssh launcher
// races its own child and prints, harmlessly,
//   [HOST:01234] plm:rsh: Warning: setpgid(1234,1234) failed in parent with errno=Permission denied(13)
// That whole line, with or without its "[HOST:PID] " prefix, is dropped; every other byte passes
// through unchanged and in order, whatever way the stream is cut into pieces. Only the start of a
// line that may still become that warning is held back (at most kMostHeldBytes); the rest of a line
// passes on at once.

#include <cstddef>
#include <string>
#include <string_view>

namespace ppcs::jobs {

class StderrNoiseFilter {
public:
    static constexpr std::size_t kMostHeldBytes = 512;

    // What of piece (and of what was held back before it) is passed on now.
    std::string feed(std::string_view piece);
    // The end of the stream: whatever is still held back (an unfinished line) is passed on.
    std::string finish();

    // True when line (with its '\n') is the noise dropped.
    static bool isNoise(std::string_view line);

private:
    // Decides a held line that has just ended (with '\n') or can no longer be noise.
    void settle(std::string& out);

    std::string held_;          // the start of the current line, while it may still be noise
    bool passingLine_ = false;  // the current line is known not to be noise: pass it on as it comes
};

}  // namespace ppcs::jobs
