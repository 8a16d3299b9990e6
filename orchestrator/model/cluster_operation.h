#pragma once
// What ppcsd is doing to a cluster, as its operation locks and the cluster's lease in Docker
// (cluster/lease.h) record it, and as a refusal names it ("busy with another request (scale)").

#include <string_view>

namespace ppcs::model {

enum class ClusterOperation {
    up,
    scale,
    down,
    run,
    bench,
    heal,     // a lost node replaced by ppcsd's node watcher
    cleanup,  // a job's leftovers swept after a ppcsd restart
    other,    // an operation this build does not know (another ppcsd's lease)
};

// The one spelling of an operation in leases and messages: the enumerator's name.
std::string_view clusterOperationName(ClusterOperation operation);
// The inverse of clusterOperationName; ClusterOperation::other for any other text.
ClusterOperation clusterOperationFromName(std::string_view name);

}  // namespace ppcs::model
