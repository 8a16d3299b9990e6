#pragma once
// A minimal ustar archive writer and reader, for Docker build contexts and archive uploads.
// Writes regular files and directories only, owned by uid/gid given per entry, with a fixed
// mtime so the same input always gives the same bytes. Paths are relative, '/'-separated,
// without "." or ".." components; up to 255 bytes when they can be split at a '/'. Sizes of 8 GiB
// and more (beyond ustar's 11 octal digits) are written in base-256, as GNU tar and Docker read them.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace ppcs {

struct TarEntry {
    enum class Kind { file, directory };
    Kind kind = Kind::file;
    std::string path;
    std::string content;  // empty for directories
    unsigned mode = 0644;
    unsigned uid = 0;
    unsigned gid = 0;
};

// One entry's header as a streaming writer sees it: the content is not at hand, only its size.
struct TarHeader {
    TarEntry::Kind kind = TarEntry::Kind::file;
    std::string path;
    std::uint64_t size = 0;  // ignored for directories
    unsigned mode = 0644;
    unsigned uid = 0;
    unsigned gid = 0;
};

inline constexpr std::size_t kTarBlock = 512;

// The 512-byte header of an entry, exactly as TarWriter::add writes it; the entry's `size` content
// bytes follow, then tarPadding(size) zero bytes. Fails like TarWriter::add.
Result<std::string> encodeTarHeader(const TarHeader& header);
// Zero bytes that fill the last block of content of `size` bytes.
inline std::size_t tarPadding(std::uint64_t size) { return static_cast<std::size_t>((kTarBlock - size % kTarBlock) % kTarBlock); }
// The end-of-archive marker: two zero blocks.
inline std::string tarEndMarker() { return std::string(2 * kTarBlock, '\0'); }

class TarWriter {
public:
    // Fails with ErrorCode::usage for an absolute path, a ".." component or a path too long.
    Status add(const TarEntry& entry);
    // Appends the end-of-archive marker and returns the archive; the writer is spent afterwards.
    std::string finish();

private:
    std::string archive_;
};

// Parses an archive written by TarWriter (or any plain ustar file/directory archive).
Result<std::vector<TarEntry>> readTar(std::string_view archive);

}  // namespace ppcs
