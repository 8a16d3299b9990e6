#include "model/cluster_operation.h"

#include <array>
#include <utility>

namespace ppcs::model {
namespace {

constexpr std::array<std::pair<ClusterOperation, std::string_view>, 8> kOperationNames{{
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

std::string_view clusterOperationName(ClusterOperation operation) {
    for (const auto& [known, name] : kOperationNames)
        if (known == operation) return name;
    return "other";
}

ClusterOperation clusterOperationFromName(std::string_view name) {
    for (const auto& [operation, known] : kOperationNames)
        if (known == name) return operation;
    return ClusterOperation::other;
}

}  // namespace ppcs::model
