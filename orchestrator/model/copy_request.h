#pragma once
// What `ppcs-cluster cp` asks for, and the pure checks of it: which way the copy goes, the local
// path on ppcsd's host, and a path in the cluster's shared folder that cannot leave it.

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace ppcs::model {

enum class CopyDirection { intoCluster, outOfCluster };

struct CopyRequest {
    std::string cluster = "ppcs";
    CopyDirection direction = CopyDirection::intoCluster;
    std::string localPath;   // absolute, on ppcsd's host (the CLI resolves relative ones)
    std::string remotePath;  // relative to the shared folder, as sharedRelativePath gives it; "" is the folder
};

// What a copy carried.
struct TreeTally {
    std::uint64_t files = 0;
    std::uint64_t directories = 0;
    std::uint64_t bytes = 0;    // file content bytes
    std::uint64_t skipped = 0;  // links and special files, never copied
};

struct CopyReport {
    std::string localPath;   // what was written or read on this host
    std::string remotePath;  // relative to the shared folder
    TreeTally tally;
    int hosts = 1;  // docker hosts whose copy of the shared folder was written
};

// A path in the shared folder, as the user wrote it after ':' ("data/in.txt", "/usr/local/var/
// mpishare/data", "", "."), made relative to the folder without "." or empty components. A ".."
// component, an absolute path outside the folder, or a NUL byte is a usage error: nothing can
// name a place outside the shared folder.
Result<std::string> sharedRelativePath(std::string_view text);

// How a path in the shared folder is shown to the user: ":data/in.txt", ":." for the folder.
std::string shownSharedPath(const std::string& relative);

// The path's last component ("" gives the shared folder's own name, "mpishare").
std::string sharedBaseName(const std::string& relative);

// Checks what needs no cluster: the cluster name, an absolute local path, a remote path as
// sharedRelativePath accepts it (already relative).
Status validateCopyRequest(const CopyRequest& request);

}  // namespace ppcs::model
