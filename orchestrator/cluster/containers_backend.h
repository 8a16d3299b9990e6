#pragma once
// The containers backend (model::Backend::containers): a cluster made of plain containers on one
// engine, no Swarm needed. What the swarm backend gets from Swarm is done here:
//   - a user-defined bridge network sized for the cluster (the overlay's subnet rules, and none
//     that a route of this machine already uses when the engine is local);
//   - the cluster key as a 0400 file (kKeyFileDir/kKeyFileName), put into each container after
//     it is created and before it starts, read back from the head for containers made later;
//   - members as containers named and labelled like the tasks they replace (spec.h), node slots
//     in kSlotLabel; the node count is the number of node containers;
//   - replacing a dead member (ppcsd's healing, node_watch.h) and removing everything (`down`).
// Readiness, the hostfile, jobs and stats are the backends' common path (readiness.h): they see
// members, not services.

#include <string>
#include <vector>

#include "cluster/observed.h"
#include "cluster/spec.h"
#include "common/result.h"
#include "docker/engine.h"
#include "image/process_runner.h"
#include "model/progress.h"

namespace ppcs::cluster {

// The spec a containers cluster was made with, as its head's labels record it (name, MPI, size,
// mount, slots; nodeCount the node containers there are).
ClusterSpec containersClusterSpec(const ObservedCluster& observed);

// Creates a new containers cluster: network (a subnet none of usedSubnets overlaps), volume (when
// createVolume), a key pair, the head and spec.nodeCount nodes, each started with the key in it.
// Returns the cluster as created, for makeReady. A failure removes everything it created and
// names what failed.
Result<ObservedCluster> createContainersCluster(docker::Engine& engine, image::ProcessRunner& runner, const ClusterSpec& spec,
                                                const std::string& imageId, bool createVolume,
                                                const std::vector<std::string>& usedSubnets, const model::Progress& progress);

// Changes the node count to nodes: starts nodes in the free slots up to nodes (the key read from
// the head), removes the nodes of higher slots. observed is then the cluster as it is now.
Status resizeContainersCluster(docker::Engine& engine, ObservedCluster& observed, int nodes, const model::Progress& progress);

// Removes the member container of that role and slot (when it is there) and starts a new one in
// its place, with the key read from the head (a head is replaced only when it is dead: its key is
// read back from a node then).
Status replaceContainersMember(docker::Engine& engine, const ObservedCluster& observed, model::MemberRole role, int slot);

// Removes every container and the network of the cluster, and the volume when removeVolume; adds
// what it removed to removed ("3 containers", "network", "volume").
Status tearDownContainersCluster(docker::Engine& engine, const ObservedCluster& observed, bool removeVolume,
                                 std::vector<std::string>& removed, const model::Progress& progress);

// The IPv4 subnets of this machine's routes (/proc/net/route), as CIDRs: a local engine's bridge
// network must not overlap them.
std::vector<std::string> localRouteSubnets();

}  // namespace ppcs::cluster
