#include "common/tar_reader.h"

#include <algorithm>
#include <cstring>

namespace ppcs {
namespace {

constexpr std::size_t kBlock = 512;

std::uint64_t readNumber(const char* field, std::size_t width) {
    std::uint64_t value = 0;
    if (static_cast<unsigned char>(field[0]) & 0x80) {  // base-256 (GNU, Go for large values)
        for (std::size_t i = 1; i < width; ++i) value = (value << 8) | static_cast<unsigned char>(field[i]);
        return value;
    }
    std::size_t i = 0;
    while (i < width && field[i] == ' ') ++i;
    for (; i < width && field[i] >= '0' && field[i] <= '7'; ++i) value = value * 8 + static_cast<std::uint64_t>(field[i] - '0');
    return value;
}

std::string readString(const char* field, std::size_t width) { return std::string(field, strnlen(field, width)); }

bool checksumMatches(const char* header) {
    std::uint64_t expected = readNumber(header + 148, 8);
    std::uint64_t unsignedSum = 0;
    std::int64_t signedSum = 0;  // some old writers summed signed chars
    for (std::size_t i = 0; i < kBlock; ++i) {
        char c = (i >= 148 && i < 156) ? ' ' : header[i];
        unsignedSum += static_cast<unsigned char>(c);
        signedSum += static_cast<signed char>(c);
    }
    return expected == unsignedSum || static_cast<std::int64_t>(expected) == signedSum;
}

TarStreamEntry::Kind kindOf(char typeflag) {
    switch (typeflag) {
        case '0':
        case '\0':
        case '7':
            return TarStreamEntry::Kind::file;
        case '5':
            return TarStreamEntry::Kind::directory;
        case '2':
            return TarStreamEntry::Kind::symlink;
        case '1':
            return TarStreamEntry::Kind::hardlink;
        default:
            return TarStreamEntry::Kind::other;
    }
}

}  // namespace

Status TarStreamReader::fail(Error error) {
    state_ = State::failed;
    error_ = error;
    return error;
}

Status TarStreamReader::feed(std::string_view bytes) {
    while (!bytes.empty()) {
        switch (state_) {
            case State::failed:
                return *error_;
            case State::done:
                return {};
            case State::header: {
                std::size_t take = std::min(bytes.size(), kBlock - block_.size());
                block_.append(bytes.substr(0, take));
                bytes.remove_prefix(take);
                if (block_.size() < kBlock) break;
                std::string block = std::move(block_);
                block_.clear();
                if (auto taken = takeHeader(block.data()); !taken) return fail(taken.error());
                break;
            }
            case State::content:
            case State::extended: {
                auto take = static_cast<std::size_t>(std::min<std::uint64_t>(bytes.size(), remaining_));
                if (state_ == State::content) {
                    if (auto given = handler_.content(bytes.substr(0, take)); !given) return fail(given.error());
                } else {
                    extended_.append(bytes.substr(0, take));
                }
                bytes.remove_prefix(take);
                remaining_ -= take;
                if (remaining_ > 0) break;
                if (state_ == State::content) {
                    if (auto ended = handler_.end(); !ended) return fail(ended.error());
                } else if (auto applied = applyExtended(); !applied) {
                    return fail(applied.error());
                }
                remaining_ = padding_;
                state_ = remaining_ > 0 ? State::padding : State::header;
                break;
            }
            case State::padding: {
                auto take = static_cast<std::size_t>(std::min<std::uint64_t>(bytes.size(), remaining_));
                bytes.remove_prefix(take);
                remaining_ -= take;
                if (remaining_ == 0) state_ = State::header;
                break;
            }
        }
    }
    return state_ == State::failed ? Status(*error_) : Status();
}

Status TarStreamReader::finish() const {
    if (state_ == State::failed) return *error_;
    if (state_ != State::done) return makeError(ErrorCode::failed, "the archive ended early (no end marker)");
    return {};
}

Status TarStreamReader::takeHeader(const char* block) {
    if (std::all_of(block, block + kBlock, [](char c) { return c == '\0'; })) {
        state_ = State::done;
        return {};
    }
    if (!checksumMatches(block))
        return makeError(ErrorCode::failed, "a tar header's checksum does not match (not a tar archive, or damaged)");
    char typeflag = block[156];
    std::uint64_t size = readNumber(block + 124, 12);
    padding_ = (kBlock - size % kBlock) % kBlock;
    if (typeflag == 'x' || typeflag == 'L' || typeflag == 'K') {
        if (size > kMaxTarExtendedHeader)
            return makeError(ErrorCode::failed, "a tar extended header of " + std::to_string(size) + " bytes is over the limit");
        extendedKind_ = typeflag;
        extended_.clear();
        remaining_ = size;
        state_ = State::extended;
        if (size > 0) return {};
        state_ = State::header;
        return applyExtended();
    }
    if (typeflag == 'g') {  // a global PAX header: nothing here needs it
        remaining_ = size + padding_;
        state_ = remaining_ > 0 ? State::padding : State::header;
        return {};
    }
    TarStreamEntry entry;
    entry.kind = kindOf(typeflag);
    std::string prefix = std::memcmp(block + 257, "ustar", 5) == 0 ? readString(block + 345, 155) : std::string();
    entry.path = pendingPath_.empty() ? (prefix.empty() ? "" : prefix + "/") + readString(block, 100) : pendingPath_;
    entry.linkTarget = pendingLink_.empty() ? readString(block + 157, 100) : pendingLink_;
    entry.mode = static_cast<unsigned>(readNumber(block + 100, 8) & 07777);
    if (pendingSize_) size = *pendingSize_;
    pendingPath_.clear();
    pendingLink_.clear();
    pendingSize_.reset();
    padding_ = (kBlock - size % kBlock) % kBlock;
    // Only plain files carry content; the sizes of the others (hard links may say one) are
    // skipped with their padding.
    entry.size = entry.kind == TarStreamEntry::Kind::file ? size : 0;
    if (auto begun = handler_.begin(entry); !begun) return begun;
    remaining_ = entry.kind == TarStreamEntry::Kind::file ? size : 0;
    if (remaining_ > 0) {
        state_ = State::content;
        return {};
    }
    if (auto ended = handler_.end(); !ended) return ended;
    remaining_ = size + padding_;
    state_ = remaining_ > 0 ? State::padding : State::header;
    return {};
}

// PAX records are "LENGTH KEY=VALUE\n"; GNU long names are the name, NUL-terminated.
Status TarStreamReader::applyExtended() {
    if (extendedKind_ == 'L' || extendedKind_ == 'K') {
        std::string name = extended_.substr(0, extended_.find('\0'));
        (extendedKind_ == 'L' ? pendingPath_ : pendingLink_) = name;
        return {};
    }
    std::string_view rest = extended_;
    while (!rest.empty()) {
        auto space = rest.find(' ');
        if (space == std::string_view::npos || space == 0)
            return makeError(ErrorCode::failed, "a malformed PAX record in the archive");
        std::uint64_t length = 0;
        for (char c : rest.substr(0, space)) {
            if (c < '0' || c > '9' || length > rest.size())
                return makeError(ErrorCode::failed, "a malformed PAX record length in the archive");
            length = length * 10 + static_cast<std::uint64_t>(c - '0');
        }
        if (length <= space + 1 || length > rest.size() || rest[length - 1] != '\n')
            return makeError(ErrorCode::failed, "a malformed PAX record in the archive");
        std::string_view record = rest.substr(space + 1, length - space - 2);
        rest.remove_prefix(length);
        auto equals = record.find('=');
        if (equals == std::string_view::npos) return makeError(ErrorCode::failed, "a PAX record without '=' in the archive");
        std::string_view key = record.substr(0, equals), value = record.substr(equals + 1);
        if (key == "path")
            pendingPath_ = std::string(value);
        else if (key == "linkpath")
            pendingLink_ = std::string(value);
        else if (key == "size") {
            if (value.empty() || value.size() > 19 || value.find_first_not_of("0123456789") != std::string_view::npos)
                return makeError(ErrorCode::failed, "a malformed PAX size in the archive");
            pendingSize_ = std::stoull(std::string(value));
        }
    }
    return {};
}

}  // namespace ppcs
