#include "common/tar.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "common/strings.h"

namespace ppcs {
namespace {

constexpr std::size_t kBlock = kTarBlock;
constexpr std::size_t kNameField = 100;
constexpr std::size_t kPrefixField = 155;
// 2020-01-01: a fixed time keeps archives byte-identical across runs.
constexpr unsigned long long kFixedMtime = 1577836800ULL;

// Zero-padded octal digits filling width - 1 bytes, then a NUL (the ustar numeric format).
void writeOctal(char* field, std::size_t width, unsigned long long value) {
    for (std::size_t i = width - 1; i-- > 0; value >>= 3) field[i] = static_cast<char>('0' + (value & 7));
    field[width - 1] = '\0';
}

// A size field: octal while it fits in 11 digits, else base-256 (a leading 0x80 byte, then the
// value big-endian), which GNU tar and Go's archive/tar (Docker) read.
void writeSize(char* field, std::uint64_t size) {
    constexpr std::uint64_t kOctalLimit = 1ULL << 33;  // 8^11
    if (size < kOctalLimit) return writeOctal(field, 12, size);
    field[0] = static_cast<char>(0x80);
    for (std::size_t i = 11; i > 0; --i, size >>= 8) field[i] = static_cast<char>(size & 0xff);
}

Status validatePath(std::string_view path) {
    if (path.empty() || path.front() == '/')
        return makeError(ErrorCode::usage, "tar path '" + std::string(path) + "' must be relative");
    for (const auto& part : split(path, '/'))
        if (part == ".." || part == ".")
            return makeError(ErrorCode::usage, "tar path '" + std::string(path) + "' has a '.' or '..' component");
    return {};
}

// Splits a long path into ustar's prefix and name fields.
Result<std::pair<std::string, std::string>> splitPath(const std::string& path) {
    if (path.size() <= kNameField) return std::make_pair(std::string(), path);
    for (auto cut = path.rfind('/'); cut != std::string::npos && cut > 0; cut = path.rfind('/', cut - 1)) {
        if (cut <= kPrefixField && path.size() - cut - 1 <= kNameField)
            return std::make_pair(path.substr(0, cut), path.substr(cut + 1));
    }
    return makeError(ErrorCode::usage, "tar path '" + path + "' is too long");
}

unsigned long long readOctal(const char* field, std::size_t width) {
    unsigned long long value = 0;
    if (static_cast<unsigned char>(field[0]) == 0x80) {  // base-256
        for (std::size_t i = 1; i < width; ++i) value = (value << 8) | static_cast<unsigned char>(field[i]);
        return value;
    }
    for (std::size_t i = 0; i < width && field[i] >= '0' && field[i] <= '7'; ++i) value = value * 8 + (field[i] - '0');
    return value;
}

std::string readString(const char* field, std::size_t width) { return std::string(field, strnlen(field, width)); }

}  // namespace

Result<std::string> encodeTarHeader(const TarHeader& entry) {
    std::string path = entry.path;
    if (entry.kind == TarEntry::Kind::directory && !endsWith(path, "/")) path += '/';
    if (auto valid = validatePath(entry.path); !valid) return valid.error();
    auto fields = splitPath(path);
    if (!fields) return fields.error();
    std::string block(kBlock, '\0');
    char* header = block.data();
    std::memcpy(header, fields->second.data(), fields->second.size());
    writeOctal(header + 100, 8, entry.mode & 07777);
    writeOctal(header + 108, 8, entry.uid);
    writeOctal(header + 116, 8, entry.gid);
    writeSize(header + 124, entry.kind == TarEntry::Kind::file ? entry.size : 0);
    writeOctal(header + 136, 12, kFixedMtime);
    header[156] = entry.kind == TarEntry::Kind::file ? '0' : '5';
    std::memcpy(header + 257, "ustar", 6);
    std::memcpy(header + 263, "00", 2);
    std::memcpy(header + 345, fields->first.data(), fields->first.size());
    std::memset(header + 148, ' ', 8);
    unsigned checksum = 0;
    for (unsigned char c : block) checksum += c;
    writeOctal(header + 148, 7, checksum);
    return block;
}

Status TarWriter::add(const TarEntry& entry) {
    auto header = encodeTarHeader({entry.kind, entry.path, entry.content.size(), entry.mode, entry.uid, entry.gid});
    if (!header) return header.error();
    archive_ += *header;
    if (entry.kind == TarEntry::Kind::file) {
        archive_ += entry.content;
        archive_.append(tarPadding(entry.content.size()), '\0');
    }
    return {};
}

std::string TarWriter::finish() {
    archive_ += tarEndMarker();
    return std::move(archive_);
}

Result<std::vector<TarEntry>> readTar(std::string_view archive) {
    std::vector<TarEntry> entries;
    std::size_t offset = 0;
    while (offset + kBlock <= archive.size()) {
        const char* header = archive.data() + offset;
        // The end marker is a zero block: a header's name field alone may be empty (a long
        // directory name cut at its trailing '/', all of it in the prefix field).
        if (std::all_of(header, header + kBlock, [](char c) { return c == '\0'; })) return entries;
        unsigned expected = static_cast<unsigned>(readOctal(header + 148, 8));
        unsigned actual = 0;
        for (std::size_t i = 0; i < kBlock; ++i) actual += (i >= 148 && i < 156) ? ' ' : static_cast<unsigned char>(header[i]);
        if (expected != actual)
            return makeError(ErrorCode::failed, "tar header checksum mismatch at offset " + std::to_string(offset));
        TarEntry entry;
        std::string prefix = readString(header + 345, kPrefixField);
        entry.path = (prefix.empty() ? "" : prefix + "/") + readString(header, kNameField);
        entry.mode = static_cast<unsigned>(readOctal(header + 100, 8));
        entry.uid = static_cast<unsigned>(readOctal(header + 108, 8));
        entry.gid = static_cast<unsigned>(readOctal(header + 116, 8));
        std::size_t size = readOctal(header + 124, 12);
        entry.kind = header[156] == '5' ? TarEntry::Kind::directory : TarEntry::Kind::file;
        offset += kBlock;
        if (offset + size > archive.size()) return makeError(ErrorCode::failed, "tar entry '" + entry.path + "' is truncated");
        entry.content = std::string(archive.substr(offset, size));
        offset += (size + kBlock - 1) / kBlock * kBlock;
        entries.push_back(std::move(entry));
    }
    return makeError(ErrorCode::failed, "tar archive ends without its end marker");
}

}  // namespace ppcs
