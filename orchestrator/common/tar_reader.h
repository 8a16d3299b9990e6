#pragma once
// Reads a tar archive as it arrives, piece by piece, without holding it whole: what the engine
// sends for GET /containers/{id}/archive (Go's archive/tar: ustar headers, PAX extended headers
// for long names and large sizes) and what GNU tar writes (its long-name entries). Each entry's
// header is handed over before its content, the content in the pieces it arrived in.
//
// Bounded: an extended header (PAX or GNU long name) over kMaxTarExtendedHeader bytes is an
// error, so a hostile archive cannot make the reader hold more than that. Checksums are checked.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace ppcs {

inline constexpr std::size_t kMaxTarExtendedHeader = 1024 * 1024;

struct TarStreamEntry {
    enum class Kind { file, directory, symlink, hardlink, other };
    Kind kind = Kind::file;
    std::string path;        // as written in the archive (no check here: the consumer decides)
    std::string linkTarget;  // symlink and hardlink
    std::uint64_t size = 0;  // content bytes (files only; 0 for the others)
    unsigned mode = 0644;
};

class TarStreamReader {
public:
    struct Handler {
        // Called once per entry, before its content. An error stops the reading.
        std::function<Status(const TarStreamEntry&)> begin;
        // A piece of the current file's content (never called for other kinds).
        std::function<Status(std::string_view)> content;
        // After the last piece of a file (or right after begin for an empty one and other kinds).
        std::function<Status()> end;
    };
    explicit TarStreamReader(Handler handler) : handler_(std::move(handler)) {}

    // The archive's next bytes, in any pieces. After the end marker further bytes are ignored.
    // The first error (malformed header, a handler's error) is returned by this and every
    // later call.
    Status feed(std::string_view bytes);
    // Whether the end marker (a zero block) was reached.
    bool complete() const { return state_ == State::done; }
    // Fails unless the archive ended with its end marker (a truncated one is an error).
    Status finish() const;

private:
    enum class State { header, content, padding, extended, done, failed };
    Status fail(Error error);
    Status takeHeader(const char* block);
    Status applyExtended();

    Handler handler_;
    State state_ = State::header;
    std::string block_;            // a header block being gathered
    std::uint64_t remaining_ = 0;  // content or padding bytes left of the current entry
    std::uint64_t padding_ = 0;    // padding after the content
    char extendedKind_ = 0;        // 'x' (PAX), 'L' / 'K' (GNU long name / link) being read
    std::string extended_;         // its content
    std::string pendingPath_;      // from an extended header, for the next entry
    std::string pendingLink_;
    std::optional<std::uint64_t> pendingSize_;
    std::optional<Error> error_;
};

}  // namespace ppcs
