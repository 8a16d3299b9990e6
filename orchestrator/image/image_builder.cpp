#include "image/image_builder.h"

#include <chrono>
#include <cstdlib>

#include "image/build_context.h"

namespace ppcs::image {

std::string defaultImageContextDir() {
    if (const char* dir = std::getenv("PPCS_IMAGE_DIR"); dir && *dir) return dir;
    return PPCS_DEFAULT_IMAGE_DIR;
}

Result<BuildOutcome> ImageBuilder::build(const BuildRequest& request, const BuildProgress& progress) {
    auto started = std::chrono::steady_clock::now();
    auto outcome = buildSteps(request, progress);
    if (!outcome) return outcome.error().context("build image " + request.imageRef);
    outcome->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return outcome;
}

Result<BuildOutcome> ImageBuilder::buildSteps(const BuildRequest& request, const BuildProgress& progress) {
    auto reference = splitImageReference(request.imageRef);
    if (!reference) return reference.error();
    auto context = loadBuildContext(request.contextDir.empty() ? defaultImageContextDir() : request.contextDir);
    if (!context) return context.error();
    BuildOutcome outcome;
    outcome.imageRef = request.imageRef;
    // One context builds every MPI's image: the MPI is part of what the image was built from.
    outcome.contextHash = contextHash(*context);
    if (request.mpi != model::kDefaultMpi) outcome.contextHash += std::string("+mpi=") + model::mpiName(request.mpi);

    auto existing = engine_.inspectImage(request.imageRef);
    if (!existing) return existing.error();
    if (*existing && !request.noCache) {
        auto label = (*existing)->labels.find(kContextHashLabel);
        if (label != (*existing)->labels.end() && label->second == outcome.contextHash) {
            outcome.imageId = (*existing)->id;
            outcome.reused = true;
            progress(Phase::check, "image " + request.imageRef + " is up to date with its build context");
            return outcome;
        }
    }

    auto baseName = baseImageOf(*context);
    if (!baseName) return baseName.error();
    BaseImageOptions baseOptions;
    baseOptions.image = *baseName;
    baseOptions.mirror = request.mirror;
    baseOptions.allowPull = request.allowPull;
    BaseImageResolver resolver(engine_, runner_);
    auto base = resolver.ensure(baseOptions, [&](const std::string& line) { progress(Phase::base, line); });
    if (!base) return base.error();

    auto tar = contextTar(*context);
    if (!tar) return tar.error();
    docker::BuildParams params;
    params.contextTar = std::move(*tar);
    params.labels = {{kContextHashLabel, outcome.contextHash}, {"ppcs.managed", "true"}};
    params.noCache = request.noCache;
    params.buildArgs = {{"MPI", model::mpiName(request.mpi)}};
    progress(Phase::build, "building " + request.imageRef + " from " + context->dir);
    auto built = engine_.buildImage(params, [&](const std::string& line) { progress(Phase::build, line); });
    if (!built) return built.error();

    if (auto tagged = engine_.tagImage(*built, reference->first, reference->second); !tagged) return tagged.error();
    progress(Phase::tag, "tagged " + built->substr(0, 19) + " as " + request.imageRef);
    outcome.imageId = *built;
    return outcome;
}

}  // namespace ppcs::image
