#pragma once
// A minimal ustar archive writer and reader, for Docker build contexts and archive uploads.
// Writes regular files and directories only, owned by uid/gid given per entry, with a fixed
// mtime so the same input always gives the same bytes. Paths are relative, '/'-separated,
// without "." or ".." components; up to 255 bytes when they can be split at a '/'.

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
