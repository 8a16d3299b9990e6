#pragma once
// Per-container resource figures of a cluster, from each container's engine stats. One stats call
// takes about a second (two samples), so every member is asked at once.

#include <string>
#include <vector>

#include "cluster/readiness.h"
#include "docker/engine.h"
#include "model/cluster_status.h"

namespace ppcs::cluster {

using model::MemberStats;

// Head first, then nodes by slot, as members are given. Each container is asked of its own host's
// engine (engine for the local host, registered endpoints for the others).
std::vector<MemberStats> collectStats(docker::Engine& engine, const std::vector<Member>& members);

}  // namespace ppcs::cluster
