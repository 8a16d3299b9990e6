#pragma once
// The labels that record a cluster's node size and host folder (model/node_size.h) on its
// services, and reading them back.

#include "docker/types.h"
#include "model/node_size.h"

namespace ppcs::cluster {

using model::defaultShmBytes;
using model::formatBytes;
using model::formatCpus;
using model::HostMount;
using model::kMaxSizeBytes;
using model::kMinMemoryBytes;
using model::kMinNanoCpus;
using model::kMinShmBytes;
using model::kNanoCpusPerCpu;
using model::NodeSize;
using model::parseByteSize;
using model::parseCpus;
using model::parseHostMount;
using model::slotsForCpus;
using model::validateHostMount;
using model::validateNodeSize;

// Labels on both services of a cluster; the head service's are read back.
inline constexpr const char* kCpusLabel = "ppcs.cpus";                        // NanoCPUs
inline constexpr const char* kMemoryLabel = "ppcs.memory";                    // bytes
inline constexpr const char* kShmSizeLabel = "ppcs.shm-size";                 // bytes, as chosen at creation
inline constexpr const char* kMountLabel = "ppcs.mount";                      // SOURCE:TARGET
inline constexpr const char* kMountEveryHostLabel = "ppcs.mount-every-host";  // "1"

// The labels recording a size and a mount on the services, and back.
docker::Labels nodeSizeLabels(const NodeSize& size, const HostMount& mount);
NodeSize nodeSizeFromLabels(const docker::Labels& labels);
HostMount hostMountFromLabels(const docker::Labels& labels);

}  // namespace ppcs::cluster
