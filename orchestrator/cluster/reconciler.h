#pragma once
// What `up` and `scale` do with a cluster, decided from what Docker reports (pure): create it,
// resize it (scale the nodes when their count changes, then verify every member), or refuse.
// ClusterManager dispatches on the decision; what each kind carries out is in cluster_manager.cpp.

#include "cluster/observed.h"
#include "cluster/spec.h"
#include "common/result.h"

namespace ppcs::cluster {

struct UpDecision {
    enum class Kind {
        create,  // network, volume (unless `down` kept it), key secret, head and node services, make ready
        resize,  // scale the node service if the count changes, then make ready
    };
    Kind kind = Kind::create;
    bool createVolume = false;  // create: there is no volume to reuse
    bool scaleNodes = false;    // resize: the node count differs from the service's
};

// An error (the refusal) when the cluster is incomplete, when more nodes are asked for than its
// network holds, or when the request names a setting fixed at creation (--per-host, --registry,
// the members' size, the host folder) with another value.
Result<UpDecision> decideUp(const ClusterSpec& desired, const ObservedCluster& observed);

}  // namespace ppcs::cluster
