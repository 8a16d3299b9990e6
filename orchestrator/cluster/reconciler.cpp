#include "cluster/reconciler.h"

#include "cluster/subnet.h"

namespace ppcs::cluster {

Plan planUp(const ClusterSpec& desired, const ObservedCluster& observed) {
    Plan plan;
    if (!observed.exists()) {
        plan.steps = {Step::createNetwork};
        if (!observed.volume) plan.steps.push_back(Step::createVolume);
        plan.steps.insert(plan.steps.end(),
                          {Step::createKeySecret, Step::createHeadService, Step::createNodeService, Step::makeReady});
        return plan;
    }
    if (!observed.complete()) {
        plan.refusal =
            makeError(ErrorCode::conflict, "cluster '" + observed.name + "' is incomplete (missing " + observed.missingParts() +
                                               "): run `ppcs-cluster down --name " + observed.name + "` first");
        return plan;
    }
    if (observed.nodes->replicas != static_cast<std::uint64_t>(desired.nodes)) {
        int capacity = nodeCapacity(observed.subnet());
        if (desired.nodes > capacity) {
            plan.refusal = makeError(ErrorCode::usage, "cluster '" + observed.name + "' has network " + observed.subnet() +
                                                           ", which holds at most " + std::to_string(capacity) +
                                                           " nodes: take it down and up again for more");
            return plan;
        }
        plan.steps.push_back(Step::scaleNodes);
    }
    plan.steps.push_back(Step::makeReady);
    return plan;
}

}  // namespace ppcs::cluster
