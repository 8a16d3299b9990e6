#pragma once
// What `ppcs-cluster build` asks for and reports, and the check of an image reference (pure; the
// build itself is image/image_builder.h).

#include <string>
#include <utility>

#include "common/result.h"
#include "model/mpi.h"
#include "model/progress.h"

namespace ppcs::model {

inline constexpr const char* kDefaultImageRef = "ppcs-openmpi:latest";

struct BuildRequest {
    std::string contextDir;                   // empty: defaultImageContextDir()
    std::string imageRef = kDefaultImageRef;  // mpiImageRef(mpi) unless the user names another
    MpiKind mpi = kDefaultMpi;                // the image's MPI: its Dockerfile's MPI build argument
    bool noCache = false;                     // rebuild every step even when the context is unchanged
    std::string mirror;                       // for debootstrap; empty: the host's apt mirror
    bool allowPull = true;                    // try a registry pull for a missing base image
};

struct BuildOutcome {
    std::string imageId;
    std::string imageRef;
    std::string contextHash;
    bool reused = false;  // the image already matched the context: nothing was built
    double seconds = 0;
};

// phase is one of "check", "base", "build", "tag"; text is one line.
using BuildProgress = Progress;

// "repo:tag" -> {repo, tag}; a missing tag is "latest". Fails on an empty or malformed reference.
Result<std::pair<std::string, std::string>> splitImageReference(const std::string& reference);

}  // namespace ppcs::model
