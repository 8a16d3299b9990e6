#pragma once
// Open MPI hostfiles (pure). The cluster's hostfile lists the head first, then the nodes by slot:
//   # ppcs cluster demo: head + 3 nodes, 8 slots
//   10.128.0.2 slots=2   # demo-head
//   10.128.0.3 slots=2   # demo-node-1
// parseHostfile reads any hostfile of that shape back and rejects everything else.

#include <string>
#include <vector>

#include "common/result.h"

namespace ppcs::cluster {

struct HostEntry {
    std::string address;   // IPv4 address
    int slots = 1;         // 1..1024
    std::string name;      // the container's hostname, as a comment; may be empty
};

// Fails (ErrorCode::usage) on an entry that is not an IPv4 address, slots out of range, a name
// with characters other than [A-Za-z0-9._-], or a duplicate address.
Result<std::string> renderHostfile(const std::string& cluster, const std::vector<HostEntry>& entries);

// Comments and blank lines are skipped; each other line is "ADDRESS [slots=N] [# name]".
Result<std::vector<HostEntry>> parseHostfile(const std::string& text);

}  // namespace ppcs::cluster
