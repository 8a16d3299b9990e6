#pragma once
// The host folder of `up --mount`, on the machine of ppcsd's engine: it must be a directory, and
// mpiuser (uid 1000 in every member) must be able to write in it. When it cannot, ppcsd adds
// write and search permission for others to that one folder (never recursively, never a change
// of owner) and says so; a failed `up` puts the mode back.

#include <sys/types.h>

#include <string>

#include "common/result.h"

namespace ppcs::cluster {

struct HostFolderGrant {
    std::string path;
    bool changed = false;  // ppcsd added o+rwx
    mode_t before = 0;     // the permission bits it had
};

// Whether a folder with this owner, group and mode lets uid/gid 1000 create files in it.
bool writableByMpiUser(uid_t owner, gid_t group, mode_t mode);

// Fails with ErrorCode::usage when path is not an existing directory; with ErrorCode::failed
// when mpiuser cannot write in it and its mode cannot be changed (not the folder's owner).
Result<HostFolderGrant> grantMpiUserWrite(const std::string& path);
// Puts back the mode a grant changed (best effort: a failed `up` is already failing).
void revokeGrant(const HostFolderGrant& grant);

}  // namespace ppcs::cluster
