#pragma once
// plan(desired, observed) -> the steps that take a cluster from what Docker reports to what was
// asked for. Pure: the cluster manager carries the steps out.

#include <optional>
#include <vector>

#include "cluster/observed.h"
#include "cluster/spec.h"
#include "common/result.h"

namespace ppcs::cluster {

enum class Step {
    createNetwork,
    createVolume,
    createKeySecret,
    createHeadService,
    createNodeService,
    scaleNodes,
    makeReady,  // wait for tasks, exchange host keys, verify ssh, write the hostfile
};

struct Plan {
    std::vector<Step> steps;
    std::optional<Error> refusal;  // set when the request cannot be carried out at all
};

Plan planUp(const ClusterSpec& desired, const ObservedCluster& observed);

}  // namespace ppcs::cluster
