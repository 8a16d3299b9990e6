// `ppcs-cluster build`: builds the node image inside ppcsd, streaming its progress here.

#include <stdlib.h>

#include <CLI/CLI.hpp>
#include <climits>
#include <cstdio>
#include <memory>

#include "api/client.h"
#include "cli/cli.h"
#include "cli/daemon_launcher.h"
#include "cli/output.h"
#include "common/strings.h"

namespace ppcs::cli {
namespace {

struct BuildOptions {
    bool noCache = false;
    bool noPull = false;
    std::string mirror;
    std::string contextDir;
    std::string image;  // empty: the MPI's own image (model::mpiImageRef)
    std::string mpi = model::mpiName(model::kDefaultMpi);
};

// Step headers and phase changes stay on screen; the output of each step scrolls on one line.
bool isLandmark(model::Phase phase, const std::string& text) {
    if (phase == model::Phase::build) return startsWith(text, "Step ") || startsWith(text, "building ");
    if (phase == model::Phase::base) return !startsWith(text, "I: ") && !startsWith(text, "W: ");
    return true;
}

Result<std::string> absoluteDirectory(const std::string& dir) {
    char resolved[PATH_MAX];
    if (::realpath(dir.c_str(), resolved) == nullptr)
        return makeError(ErrorCode::usage, "--context '" + dir + "' does not exist");
    return std::string(resolved);
}

int runBuild(const GlobalOptions& global, const BuildOptions& options) {
    model::BuildRequest request;
    request.noCache = options.noCache;
    request.allowPull = !options.noPull;
    request.mirror = options.mirror;
    auto mpi = model::parseMpiOption(options.mpi);
    if (!mpi) return reportError(mpi.error());
    request.mpi = *mpi;
    request.imageRef = options.image.empty() ? model::mpiImageRef(*mpi) : options.image;
    // Checked here too, so that bad input starts no daemon and changes nothing.
    if (auto reference = model::splitImageReference(request.imageRef); !reference) return reportError(reference.error());
    if (!options.contextDir.empty()) {
        auto dir = absoluteDirectory(options.contextDir);
        if (!dir) return reportError(dir.error());
        request.contextDir = *dir;
    }
    auto endpoint = ensureDaemon(global.stateDir);
    if (!endpoint) return reportError(endpoint.error());
    ProgressDisplay display;
    api::ApiClient client(*endpoint);
    auto outcome = client.build(
        request, [&display](model::Phase phase, const std::string& text) { display.show(phase, text, isLandmark(phase, text)); });
    display.finish();
    if (!outcome) return reportError(outcome.error());
    if (global.json) {
        std::printf("%s\n", api::encodeBuildOutcome(*outcome).c_str());
    } else {
        std::printf("image %s %s %s (%.2f s)\n", outcome->imageRef.c_str(), outcome->imageId.substr(0, 19).c_str(),
                    outcome->reused ? "is up to date" : "built", outcome->seconds);
    }
    return 0;
}

}  // namespace

void addBuildCommand(CLI::App& app, const GlobalOptions& global, Action& action) {
    auto options = std::make_shared<BuildOptions>();
    auto* build = app.add_subcommand("build", "Build the Debian + MPI node image (a no-op when its context is unchanged)");
    build->add_option("--mpi", options->mpi, "The image's MPI: openmpi or mpich")->capture_default_str();
    build->add_flag("--no-cache", options->noCache, "Rebuild every step even when the image is up to date");
    build->add_flag("--no-pull", options->noPull, "Never try a registry for a missing base image");
    build->add_option("--mirror", options->mirror, "Debian mirror for debootstrap (default: the host's apt mirror)")
        ->check([](const std::string& value) {
            return startsWith(value, "http://") || startsWith(value, "https://") ? std::string()
                                                                                 : "must be an http:// or https:// URL";
        });
    build
        ->add_option("--context", options->contextDir,
                     "Build context directory (default: ppcsd's images/openmpi; `daemon status` shows where)")
        ->type_name(kDirValue);
    build->add_option("--image", options->image, "Image reference to tag (default: ppcs-openmpi:latest or ppcs-mpich:latest)");
    build->callback([&global, &action, options] { action = [&global, options] { return runBuild(global, *options); }; });
}

}  // namespace ppcs::cli
