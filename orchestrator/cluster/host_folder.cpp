#include "cluster/host_folder.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "cluster/spec.h"

namespace ppcs::cluster {

bool writableByMpiUser(uid_t owner, gid_t group, mode_t mode) {
    const mode_t ownerBits = S_IWUSR | S_IXUSR, groupBits = S_IWGRP | S_IXGRP, otherBits = S_IWOTH | S_IXOTH;
    if (owner == kMpiUserId) return (mode & ownerBits) == ownerBits;
    if (group == kMpiUserId) return (mode & groupBits) == groupBits;
    return (mode & otherBits) == otherBits;
}

Result<HostFolderGrant> grantMpiUserWrite(const std::string& path) {
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0)
        return makeError(ErrorCode::usage, "--mount: the host folder " + path + " does not exist (" + std::strerror(errno) + ")");
    if (!S_ISDIR(info.st_mode)) return makeError(ErrorCode::usage, "--mount: " + path + " is not a folder");
    HostFolderGrant grant{path, false, info.st_mode & 07777};
    if (writableByMpiUser(info.st_uid, info.st_gid, info.st_mode)) return grant;
    if (::chmod(path.c_str(), grant.before | S_IROTH | S_IWOTH | S_IXOTH) != 0)
        return makeError(ErrorCode::failed, "--mount: mpiuser (uid " + std::to_string(kMpiUserId) + ") cannot write in " + path +
                                                " and ppcsd cannot change that (" + std::strerror(errno) +
                                                "): `chmod o+rwx` it or `chown " + std::to_string(kMpiUserId) + "` it");
    grant.changed = true;
    return grant;
}

void revokeGrant(const HostFolderGrant& grant) {
    if (grant.changed) (void)::chmod(grant.path.c_str(), grant.before);
}

}  // namespace ppcs::cluster
