#pragma once
// Bytes as the Docker engine sends them, for tests that feed fakes: frames of a non-TTY exec
// stream and tar header blocks of any type (TarWriter writes only files and directories).

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string>

#include "common/tar.h"

namespace ppcs::testing {

// One frame of an exec's output: [stream, 0, 0, 0, size (u32 big-endian)] then the payload
// (stream 1 stdout, 2 stderr).
inline std::string execFrame(const std::string& payload, char stream = 1) {
    auto size = static_cast<std::uint32_t>(payload.size());
    std::string header{stream,
                       0,
                       0,
                       0,
                       static_cast<char>(size >> 24),
                       static_cast<char>((size >> 16) & 0xff),
                       static_cast<char>((size >> 8) & 0xff),
                       static_cast<char>(size & 0xff)};
    return header + payload;
}

// A ustar header block for path (at most 100 bytes) with typeflag ('0' file, '2' symlink, 'x'
// PAX, 'L' GNU long name...), size and link target, its checksum set as tar writers set it.
inline std::string tarHeaderBlock(const std::string& path, char typeflag, std::uint64_t size, const std::string& link = "") {
    auto encoded = encodeTarHeader(TarHeader{TarEntry::Kind::file, "placeholder", size, 0644, 0, 0});
    std::string block = encoded ? *encoded : std::string(kTarBlock, '\0');
    std::fill(block.begin(), block.begin() + 100, '\0');
    std::copy(path.begin(), path.begin() + static_cast<std::ptrdiff_t>(std::min<std::size_t>(path.size(), 100)), block.begin());
    block[156] = typeflag;
    std::copy(link.begin(), link.begin() + static_cast<std::ptrdiff_t>(std::min<std::size_t>(link.size(), 100)),
              block.begin() + 157);
    std::fill(block.begin() + 148, block.begin() + 156, ' ');
    unsigned sum = 0;
    for (unsigned char c : block) sum += c;
    char digits[8];
    std::snprintf(digits, sizeof digits, "%06o", sum);
    std::copy(digits, digits + 7, block.begin() + 148);
    return block;
}

}  // namespace ppcs::testing
