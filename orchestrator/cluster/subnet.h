#pragma once
// Chooses the overlay network's subnet (pure). Overlay networks default to a /24; a cluster gets a
// prefix with room for its nodes, the head and twice the headroom for scaling, inside
// 10.128.0.0/9, never overlapping a subnet the engine already uses.

#include <string>
#include <vector>

#include "common/result.h"

namespace ppcs::cluster {

// The smallest prefix length (at most 24) whose usable addresses hold `addresses`.
int prefixFor(int addresses);

// A free "a.b.c.d/p" subnet for a cluster of `nodes` nodes; used holds CIDRs already taken, IPv4 or
// IPv6 (IPv6 entries, e.g. of an engine network created with --ipv6, are ignored: they cannot overlap).
// Fails (ErrorCode::unavailable) when the range is full, (ErrorCode::usage) on a malformed used CIDR.
Result<std::string> chooseSubnet(const std::vector<std::string>& used, int nodes);

// How many nodes (besides the head) a subnet can hold, keeping addresses for the engine's own use.
int nodeCapacity(const std::string& cidr);

// True when address ("10.1.2.3" or "10.1.2.3/24") lies inside cidr.
bool addressInSubnet(const std::string& address, const std::string& cidr);

}  // namespace ppcs::cluster
