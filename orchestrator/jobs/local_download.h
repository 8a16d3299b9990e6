#pragma once
// A tar archive from a container (GET /containers/{id}/archive) written onto this host as it
// arrives: the archive's top entry becomes `target`, everything below it goes below target.
//
// The archive comes from a container a job could have filled with anything, so nothing in it
// may reach outside target: entries must lie under the archive's top entry, without "." or ".."
// components; links and special files are skipped (counted, never created); files are opened
// without following a link, and a directory below target that is a link is refused. Files get
// their mode from the archive without set-id bits; existing files are replaced, existing
// directories merged into, as cp -r does.

#include <cstdint>
#include <memory>
#include <string>

#include "common/result.h"
#include "common/tar_reader.h"
#include "model/copy_request.h"

namespace ppcs::jobs {

class LocalTreeWriter {
public:
    // target's parent must exist; target itself may exist (a directory to merge into, or a file
    // to replace by a file).
    explicit LocalTreeWriter(std::string target);
    ~LocalTreeWriter();
    LocalTreeWriter(const LocalTreeWriter&) = delete;
    LocalTreeWriter& operator=(const LocalTreeWriter&) = delete;

    // The handler to give a TarStreamReader; valid as long as this writer lives.
    TarStreamReader::Handler handler();
    const model::TreeTally& tally() const { return tally_; }

private:
    Status begin(const TarStreamEntry& entry);
    Status write(std::string_view piece);
    Status end();
    // Where an archive path goes on this host; a usage error for a path outside the top entry.
    Result<std::string> localPathFor(const std::string& archivePath);
    Status makeDirectory(const std::string& path);

    std::string target_;
    std::string top_;  // the archive's first entry: its top component
    std::string currentPath_;
    int currentFd_ = -1;
    model::TreeTally tally_;
};

}  // namespace ppcs::jobs
