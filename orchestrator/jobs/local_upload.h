#pragma once
// A file or a directory tree of this host copied into a container as a tar archive that is made
// while it is sent: file contents are read in pieces of at most kUploadChunkBytes, so the memory a
// copy takes does not grow with the size of the files (a 2 GiB data file beside a Makefile costs
// about one piece). Only plain files and directories are copied: links and special files are
// refused, so nothing outside what the user named is reached. Every entry is owned by mpiuser
// (uid and gid 1000); directories and executable files get mode 0755, other files 0644.
//
// There is no size limit here: a copy the container's disk cannot hold fails with the engine's
// own error ("no space left on device"), and a stopped job abandons its copy between two pieces.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "docker/engine.h"
#include "model/copy_request.h"

namespace ppcs::jobs {

inline constexpr std::size_t kUploadChunkBytes = 1024 * 1024;

struct LocalUpload {
    std::string localPath;                 // a file or a directory on this host
    std::string prefix;                    // where it goes in the archive: "jobs/7/prog"
    std::vector<std::string> leadingDirs;  // directories put first, in this order: {"jobs", "jobs/7"}
};

// The archive of one LocalUpload, produced piece by piece. Its bytes are those TarWriter would
// write for the same entries (directories, then each file with its content, names sorted, depth
// first).
class LocalTarStream {
public:
    // Walks localPath without reading any file and lists the archive's entries. Usage errors name
    // a path that does not exist, a link or special file, or a name too long for the archive; a
    // directory that cannot be listed is a failure naming it.
    static Result<LocalTarStream> open(const LocalUpload& upload);
    LocalTarStream(LocalTarStream&&) noexcept;
    LocalTarStream& operator=(LocalTarStream&&) noexcept;
    ~LocalTarStream();

    // Sets piece to the next bytes of the archive (at most kUploadChunkBytes; piece's storage is
    // reused) and returns true, or false once the archive is complete (piece then holds its last
    // bytes, possibly none). Fails, naming the file, when a file can no longer be opened or read,
    // is no longer a plain file, or is shorter than when it was listed; a file that grew is copied
    // at its listed size.
    Result<bool> next(std::string& piece);
    // The whole archive's size, known before anything is read.
    std::uint64_t archiveBytes() const;
    // The files, directories and content bytes it holds, known before anything is read.
    model::TreeTally tally() const;

private:
    struct State;
    explicit LocalTarStream(std::unique_ptr<State> state);
    std::unique_ptr<State> state_;
};

// Streams upload into dir of the container (PUT /containers/{id}/archive; dir must exist) and
// says what it carried. stopRequested, when given, is asked before every piece: true abandons the
// copy with an error, so a job stopped (or a client gone) during a long copy does not wait for its end.
Result<model::TreeTally> uploadLocalTree(docker::Engine& engine, const std::string& containerId, const std::string& dir,
                                         const LocalUpload& upload, const std::function<bool()>& stopRequested = {});

}  // namespace ppcs::jobs
