#include "cluster/node_size.h"

#include <cstdlib>

namespace ppcs::cluster {

docker::Labels nodeSizeLabels(const NodeSize& size, const HostMount& mount) {
    docker::Labels labels;
    if (size.nanoCpus > 0) labels[kCpusLabel] = std::to_string(size.nanoCpus);
    if (size.memoryBytes > 0) labels[kMemoryLabel] = std::to_string(size.memoryBytes);
    if (size.shmBytes > 0) labels[kShmSizeLabel] = std::to_string(size.shmBytes);
    if (!mount.source.empty()) labels[kMountLabel] = mount.source + ":" + mount.target;
    if (!mount.source.empty() && mount.everyHost) labels[kMountEveryHostLabel] = "1";
    return labels;
}

namespace {

std::int64_t numberLabel(const docker::Labels& labels, const char* key) {
    auto found = labels.find(key);
    if (found == labels.end()) return 0;
    auto value = std::atoll(found->second.c_str());
    return value > 0 ? value : 0;
}

}  // namespace

NodeSize nodeSizeFromLabels(const docker::Labels& labels) {
    return {numberLabel(labels, kCpusLabel), numberLabel(labels, kMemoryLabel), numberLabel(labels, kShmSizeLabel)};
}

HostMount hostMountFromLabels(const docker::Labels& labels) {
    HostMount mount;
    auto found = labels.find(kMountLabel);
    if (found == labels.end()) return mount;
    // The source was checked to hold no ':' (it is where the user's text was split).
    auto colon = found->second.find(':');
    mount.source = found->second.substr(0, colon);
    if (colon != std::string::npos) mount.target = found->second.substr(colon + 1);
    mount.everyHost = labels.count(kMountEveryHostLabel) > 0;
    return mount;
}

}  // namespace ppcs::cluster
