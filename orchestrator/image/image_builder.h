#pragma once
// Builds the node image through the Engine API from a tar of its build context, for the MPI the
// request names (the Dockerfile's MPI build argument; see images/openmpi/Dockerfile).
// The image is labelled with the context's hash: an unchanged context is a no-op (one inspect
// call). The tag is set only after a successful build, so a failed build never leaves a
// half-tagged image behind.

#include <functional>
#include <string>

#include "common/result.h"
#include "docker/engine.h"
#include "image/base_image.h"
#include "image/process_runner.h"
#include "model/build.h"

namespace ppcs::image {

using model::BuildOutcome;
using model::BuildProgress;
using model::BuildRequest;
using model::kDefaultImageRef;
using model::Phase;

inline constexpr const char* kContextHashLabel = "ppcs.context-hash";

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

// $PPCS_IMAGE_DIR, else the directory the build was configured with (CMake's PPCS_IMAGE_DIR): the
// source tree's images/openmpi, or /usr/share/ppcs/images/openmpi in the Debian package.
std::string defaultImageContextDir();

}  // namespace ppcs::image
