#pragma once
// Open MPI hostfiles (pure). The cluster's hostfile lists the head first, then the nodes by slot:
//   # ppcs cluster demo: head + 3 nodes, 8 slots
//   10.128.0.2 slots=2   # demo-head 3f2a1b4c5d6e
//   10.128.0.3 slots=2   # demo-node-1 9b8c7d6e5f4a
// parseHostfile reads any hostfile of that shape back and rejects everything else.

#include <string>
#include <vector>

#include "common/result.h"

namespace ppcs::cluster {

struct HostEntry {
    std::string address;  // IPv4 address
    int slots = 1;        // 1..1024
    std::string name;     // the container's hostname, as a comment; may be empty
    // The container whose host key and ssh were verified at this address (its short ID, after the
    // name in the comment); may be empty. A member is ready only while its container is this one.
    std::string container;
};

inline constexpr std::size_t kShortContainerId = 12;

// True when the entry names a container and containerId (short or full) starts with it.
inline bool namesContainer(const HostEntry& entry, const std::string& containerId) {
    return !entry.container.empty() && containerId.compare(0, entry.container.size(), entry.container) == 0;
}

// Fails (ErrorCode::usage) on an entry that is not an IPv4 address, slots out of range, a name
// with characters other than [A-Za-z0-9._-], a container that is not hexadecimal (a container
// without a name, too), or a duplicate address. A container ID is written in its short form.
Result<std::string> renderHostfile(const std::string& cluster, const std::vector<HostEntry>& entries);

// MPICH hydra's form of the same entries: "ADDRESS:SLOTS" lines, nothing else (hydra reads no
// comments), in the order given. Fails (ErrorCode::usage) as renderHostfile does on bad entries.
Result<std::string> renderHydraHostfile(const std::vector<HostEntry>& entries);

// Comments and blank lines are skipped; each other line is "ADDRESS [slots=N] [# name [container]]".
Result<std::vector<HostEntry>> parseHostfile(const std::string& text);

}  // namespace ppcs::cluster
