#include "cluster/reconciler.h"

#include "cluster/subnet.h"

namespace ppcs::cluster {
namespace {

// Placement and where the image comes from are fixed when a cluster is created.
Status checkFixedSettings(const ClusterSpec& spec, const ObservedCluster& observed) {
    if (spec.perHost != 0 && spec.perHost != observed.perHost())
        return makeError(ErrorCode::usage, "--per-host cannot change on an existing cluster (it has " +
                                               std::to_string(observed.perHost()) + "): take it down first");
    if (!spec.registry.empty() && spec.registry != observed.registry())
        return makeError(ErrorCode::usage, "--registry cannot change on an existing cluster: take it down first");
    // So are the members' size and host folder: an `up` that names them again must name the same.
    auto had = observed.nodeSize();
    auto changed = [](std::int64_t asked, std::int64_t has) { return asked != 0 && asked != has; };
    const char* sizeOption = changed(spec.size.nanoCpus, had.nanoCpus)         ? "--cpus"
                             : changed(spec.size.memoryBytes, had.memoryBytes) ? "--memory"
                             : changed(spec.size.shmBytes, had.shmBytes)       ? "--shm-size"
                                                                               : nullptr;
    if (sizeOption)
        return makeError(ErrorCode::usage, std::string(sizeOption) + " cannot change on an existing cluster: take it down first");
    if (spec.mpi && *spec.mpi != observed.mpi())
        return makeError(ErrorCode::usage, std::string("--mpi cannot change on an existing cluster (it runs ") +
                                               model::mpiName(observed.mpi()) + "): take it down first");
    if (spec.backend && *spec.backend != observed.backend)
        return makeError(ErrorCode::usage, std::string("--backend cannot change on an existing cluster (it is ") +
                                               model::backendName(observed.backend) + "): take it down first");
    auto mounted = observed.hostMount();
    if (!spec.mount.source.empty() && (spec.mount.source != mounted.source || spec.mount.target != mounted.target))
        return makeError(ErrorCode::usage, "--mount cannot change on an existing cluster: take it down first");
    return {};
}

}  // namespace

Result<UpDecision> decideUp(const ClusterSpec& desired, const ObservedCluster& observed) {
    if (!observed.exists()) return UpDecision{UpDecision::Kind::create, !observed.volume, false};
    if (!observed.complete())
        return makeError(ErrorCode::conflict, "cluster '" + observed.name + "' is incomplete (missing " +
                                                  observed.missingParts() + "): run `ppcs-cluster down --name " + observed.name +
                                                  "` first");
    bool scaleNodes = observed.desiredNodes() != desired.nodeCount;
    if (scaleNodes) {
        int capacity = nodeCapacity(observed.subnet());
        if (desired.nodeCount > capacity)
            return makeError(ErrorCode::usage, "cluster '" + observed.name + "' has network " + observed.subnet() +
                                                   ", which holds at most " + std::to_string(capacity) +
                                                   " nodes: take it down and up again for more");
    }
    if (auto fixed = checkFixedSettings(desired, observed); !fixed) return fixed.error();
    return UpDecision{UpDecision::Kind::resize, false, scaleNodes};
}

}  // namespace ppcs::cluster
