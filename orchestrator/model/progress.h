#pragma once
// The one shape of progress reporting, from the image build and `up` in ppcsd to the lines the
// CLI shows: a phase and a line of text. A job's output travels the same way (phases
// standardOutput/standardError carry raw bytes, jobId the new job's id).

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace ppcs::model {

enum class Phase {
    // image build
    base,   // the local Debian base image (pull, debootstrap, import)
    build,  // the node image's Dockerfile steps
    tag,
    check,  // the built image checked before it is tagged
    // up, scale, down
    image,  // the node image: found, built or copied to the swarm's hosts
    swarm,
    create,  // network, secret, volume, services
    mount,   // a host folder mounted as the shared folder
    copy,    // files copied into the shared folder
    tasks,   // tasks starting
    ssh,     // members' ssh verified
    ready,
    scale,
    rollback,
    down,
    // bench
    pair,
    allgather,
    // a job
    jobId,           // the new job's id
    job,             // the job's status lines
    standardOutput,  // raw bytes the job wrote
    standardError,
    notice,   // what the user must see even when output is not a terminal
    warning,  // a line the user must see, such as output that can no longer be kept
    other,    // a phase this build does not know (from a newer ppcsd)
};

// The one spelling of a phase on the wire ("job-id", "stdout", "stderr", otherwise the enumerator's name).
std::string_view phaseName(Phase phase);
// The inverse of phaseName; Phase::other for any other text.
Phase phaseFromName(std::string_view name);

using Progress = std::function<void(Phase phase, const std::string& text)>;

}  // namespace ppcs::model
