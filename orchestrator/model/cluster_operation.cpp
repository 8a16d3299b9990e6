#include "model/cluster_operation.h"

#include "common/enum_names.h"

namespace ppcs::model {
namespace {

constexpr NameTable<ClusterOperation, 8> kOperationNames{{
    {ClusterOperation::up, "up"},
    {ClusterOperation::scale, "scale"},
    {ClusterOperation::down, "down"},
    {ClusterOperation::run, "run"},
    {ClusterOperation::bench, "bench"},
    {ClusterOperation::heal, "heal"},
    {ClusterOperation::cleanup, "cleanup"},
    {ClusterOperation::other, "other"},
}};

}  // namespace

std::string_view clusterOperationName(ClusterOperation operation) { return nameIn(kOperationNames, operation, "other"); }

ClusterOperation clusterOperationFromName(std::string_view name) {
    return valueIn(kOperationNames, name).value_or(ClusterOperation::other);
}

}  // namespace ppcs::model
