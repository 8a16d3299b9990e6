#pragma once
// Builds the node image through the Engine API from a tar of its build context.
// The image is labelled with the context's hash: an unchanged context is a no-op (one inspect
// call). The tag is set only after a successful build, so a failed build never leaves a
// half-tagged image behind.

#include <functional>
#include <string>

#include "common/result.h"
#include "docker/engine.h"
#include "image/base_image.h"
#include "image/process_runner.h"

namespace ppcs::image {

inline constexpr const char* kDefaultImageRef = "ppcs-openmpi:latest";
inline constexpr const char* kContextHashLabel = "ppcs.context-hash";

struct BuildRequest {
    std::string contextDir;  // empty: defaultImageContextDir()
    std::string imageRef = kDefaultImageRef;
    bool noCache = false;   // rebuild every step even when the context is unchanged
    std::string mirror;     // for debootstrap; empty: the host's apt mirror
    bool allowPull = true;  // try a registry pull for a missing base image
};

struct BuildOutcome {
    std::string imageId;
    std::string imageRef;
    std::string contextHash;
    bool reused = false;  // the image already matched the context: nothing was built
    double seconds = 0;
};

// phase is one of "check", "base", "build", "tag"; text is one line.
using BuildProgress = std::function<void(const std::string& phase, const std::string& text)>;

class ImageBuilder {
public:
    ImageBuilder(docker::Engine& engine, ProcessRunner& runner) : engine_(engine), runner_(runner) {}

    // Not safe to call twice at once for the same image: callers serialize builds.
    Result<BuildOutcome> build(const BuildRequest& request, const BuildProgress& progress);

private:
    Result<BuildOutcome> buildSteps(const BuildRequest& request, const BuildProgress& progress);

    docker::Engine& engine_;
    ProcessRunner& runner_;
};

// $PPCS_IMAGE_DIR, else the images/openmpi directory of the source tree ppcs was built from.
std::string defaultImageContextDir();

}  // namespace ppcs::image
