#include "jobs/local_upload.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "cluster/spec.h"
#include "common/tar.h"

namespace ppcs::jobs {
namespace {

constexpr unsigned kMpiUid = cluster::kMpiUserId;

struct Entry {
    TarHeader header;
    std::string localPath;  // files only
};

Entry directoryEntry(const std::string& archivePath) {
    return {{TarEntry::Kind::directory, archivePath, 0, 0755, kMpiUid, kMpiUid}, ""};
}

std::string systemError(const std::string& what, const std::string& path) {
    return what + " '" + path + "': " + std::strerror(errno);
}

Result<std::vector<std::string>> sortedNames(const std::string& path) {
    DIR* dir = ::opendir(path.c_str());
    if (!dir) return makeError(ErrorCode::failed, systemError("cannot list directory", path));
    std::vector<std::string> names;
    while (dirent* entry = ::readdir(dir)) {
        std::string name = entry->d_name;
        if (name != "." && name != "..") names.push_back(std::move(name));
    }
    ::closedir(dir);
    std::sort(names.begin(), names.end());
    return names;
}

// Appends path (a plain file, or a directory and everything under it) to entries as archivePath.
Status listTree(const std::string& path, const std::string& archivePath, std::vector<Entry>& entries) {
    struct stat info {};
    if (::lstat(path.c_str(), &info) != 0) {
        if (errno == ENOENT) return makeError(ErrorCode::usage, "'" + path + "' does not exist");
        return makeError(ErrorCode::failed, systemError("cannot read", path));
    }
    if (S_ISREG(info.st_mode)) {
        unsigned mode = (info.st_mode & 0111) ? 0755u : 0644u;
        entries.push_back(
            {{TarEntry::Kind::file, archivePath, static_cast<std::uint64_t>(info.st_size), mode, kMpiUid, kMpiUid}, path});
        return {};
    }
    if (!S_ISDIR(info.st_mode))
        return makeError(ErrorCode::usage, "'" + path + "' is a link or special file: only plain files are copied");
    entries.push_back(directoryEntry(archivePath));
    auto names = sortedNames(path);
    if (!names) return names.error();
    for (const auto& name : *names)
        if (auto listed = listTree(path + "/" + name, archivePath + "/" + name, entries); !listed) return listed;
    return {};
}

// Closes the file descriptor it holds when it goes out of scope or is replaced.
class FileDescriptor {
public:
    FileDescriptor() = default;
    ~FileDescriptor() { reset(); }
    FileDescriptor(const FileDescriptor&) = delete;
    FileDescriptor& operator=(const FileDescriptor&) = delete;
    void reset(int fd = -1) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = fd;
    }
    int get() const { return fd_; }

private:
    int fd_ = -1;
};

}  // namespace

// Where the stream is: entry `index`, and for a file how much of its content is still to come.
struct LocalTarStream::State {
    std::vector<Entry> entries;
    std::size_t index = 0;
    bool headerSent = false;
    std::uint64_t contentLeft = 0;
    FileDescriptor file;
    bool endSent = false;

    // Opens the current file (already listed) for its content.
    Status openContent(const Entry& entry);
    // Appends up to `room` bytes of the current file's content to piece.
    Status readContent(std::string& piece, std::size_t room);
    void nextEntry();
};

Status LocalTarStream::State::openContent(const Entry& entry) {
    file.reset(::open(entry.localPath.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (file.get() < 0) return makeError(ErrorCode::failed, systemError("cannot open", entry.localPath));
    struct stat info {};
    if (::fstat(file.get(), &info) != 0 || !S_ISREG(info.st_mode))
        return makeError(ErrorCode::failed, "'" + entry.localPath + "' is no longer a plain file");
    contentLeft = entry.header.size;
    return {};
}

Status LocalTarStream::State::readContent(std::string& piece, std::size_t room) {
    std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(contentLeft, room));
    std::size_t start = piece.size();
    piece.resize(start + want);
    std::size_t got = 0;
    while (got < want) {
        ssize_t n = ::read(file.get(), piece.data() + start + got, want - got);
        if (n < 0 && errno == EINTR) continue;
        const std::string& path = entries[index].localPath;
        if (n < 0) return makeError(ErrorCode::failed, systemError("cannot read", path));
        if (n == 0) return makeError(ErrorCode::failed, "'" + path + "' became shorter while it was copied");
        got += static_cast<std::size_t>(n);
    }
    contentLeft -= want;
    return {};
}

void LocalTarStream::State::nextEntry() {
    file.reset();
    headerSent = false;
    ++index;
}

LocalTarStream::LocalTarStream(std::unique_ptr<State> state) : state_(std::move(state)) {}
LocalTarStream::LocalTarStream(LocalTarStream&&) noexcept = default;
LocalTarStream& LocalTarStream::operator=(LocalTarStream&&) noexcept = default;
LocalTarStream::~LocalTarStream() = default;

Result<LocalTarStream> LocalTarStream::open(const LocalUpload& upload) {
    auto state = std::make_unique<State>();
    for (const auto& dir : upload.leadingDirs) state->entries.push_back(directoryEntry(dir));
    if (auto listed = listTree(upload.localPath, upload.prefix, state->entries); !listed) return listed.error();
    // Every header is checked now, so that a bad name fails before anything is sent.
    for (const auto& entry : state->entries)
        if (auto header = encodeTarHeader(entry.header); !header) return header.error();
    return LocalTarStream(std::move(state));
}

std::uint64_t LocalTarStream::archiveBytes() const {
    std::uint64_t total = 2 * kTarBlock;
    for (const auto& entry : state_->entries) total += kTarBlock + entry.header.size + tarPadding(entry.header.size);
    return total;
}

Result<bool> LocalTarStream::next(std::string& piece) {
    State& s = *state_;
    piece.clear();
    while (s.index < s.entries.size()) {
        const Entry& entry = s.entries[s.index];
        bool isFile = entry.header.kind == TarEntry::Kind::file;
        std::size_t room = kUploadChunkBytes - piece.size();
        if (!s.headerSent) {
            if (room < kTarBlock) return true;
            auto header = encodeTarHeader(entry.header);
            if (!header) return header.error();
            piece += *header;
            s.headerSent = true;
            if (!isFile) {
                s.nextEntry();
                continue;
            }
            if (auto opened = s.openContent(entry); !opened) return opened.error();
            continue;
        }
        if (s.contentLeft > 0) {
            if (room == 0) return true;
            if (auto read = s.readContent(piece, room); !read) return read.error();
            continue;
        }
        std::size_t padding = tarPadding(entry.header.size);
        if (room < padding) return true;
        piece.append(padding, '\0');
        s.nextEntry();
    }
    if (!s.endSent) {
        if (kUploadChunkBytes - piece.size() < 2 * kTarBlock) return true;
        piece += tarEndMarker();
        s.endSent = true;
    }
    return false;
}

model::TreeTally LocalTarStream::tally() const {
    model::TreeTally tally;
    for (const auto& entry : state_->entries) {
        if (entry.header.kind == TarEntry::Kind::directory) {
            ++tally.directories;
        } else {
            ++tally.files;
            tally.bytes += entry.header.size;
        }
    }
    return tally;
}

Result<model::TreeTally> uploadLocalTree(docker::Engine& engine, const std::string& containerId, const std::string& dir,
                                         const LocalUpload& upload, const std::function<bool()>& stopRequested) {
    auto stream = LocalTarStream::open(upload);
    if (!stream) return stream.error();
    auto sent = engine.putArchiveStream(containerId, dir, [&](std::string& piece) -> Result<bool> {
        if (stopRequested && stopRequested()) return makeError(ErrorCode::failed, "the copy was abandoned");
        return stream->next(piece);
    });
    if (!sent) return sent.error();
    return stream->tally();
}

}  // namespace ppcs::jobs
