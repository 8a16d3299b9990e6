#pragma once
// Makes sure the base image a build starts FROM exists in the local engine, without a registry
// when none can be reached: local image -> pull -> debootstrap a minbase rootfs and import it.

#include <chrono>
#include <functional>
#include <string>

#include "common/result.h"
#include "docker/engine.h"
#include "image/process_runner.h"
#include "model/build.h"

namespace ppcs::image {

using model::splitImageReference;

struct BaseImageOptions {
    std::string image = "debian:bookworm-slim";  // repo:tag to provide
    std::string suite = "bookworm";              // what debootstrap installs
    std::string mirror;                          // empty: the host's apt mirror
    bool allowPull = true;
    std::chrono::seconds pullIdleTimeout{60};
    std::string workDir = "/var/tmp";  // where the rootfs is made (removed afterwards)
};

class BaseImageResolver {
public:
    BaseImageResolver(docker::Engine& engine, ProcessRunner& runner) : engine_(engine), runner_(runner) {}

    // Returns the base image's ID. Each step that is tried says so through progress; when every
    // step fails the error names the last cause (debootstrap missing, mirror unreachable, ...).
    Result<std::string> ensure(const BaseImageOptions& options, const docker::ProgressSink& progress);

private:
    Result<std::string> bootstrapAndImport(const BaseImageOptions& options, const docker::ProgressSink& progress);
    Result<std::string> runDebootstrap(const BaseImageOptions& options, const std::string& mirror, const std::string& rootfs,
                                       const docker::ProgressSink& progress);

    docker::Engine& engine_;
    ProcessRunner& runner_;
};

}  // namespace ppcs::image
