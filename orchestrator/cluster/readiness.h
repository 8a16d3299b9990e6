#pragma once
// Bringing a cluster's running tasks to "verified ready": every task running with an overlay
// address, every member's host key collected into the shared known_hosts, the cluster key
// accepted by every sshd from the head, the per-cluster MPI settings and the hostfile written.

#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "cluster/observed.h"
#include "common/result.h"
#include "common/tar.h"
#include "docker/engine.h"
#include "model/cluster_status.h"
#include "model/progress.h"

namespace ppcs::cluster {

class HostEngines;  // cluster/hosts.h

using model::Member;
using model::memberHostname;
using model::MemberRole;
using model::Phase;
using model::Progress;
using model::roleName;

// A member from its task; its address is the one on networkId (empty: the task's only network).
Member memberFromTask(const docker::TaskInfo& task, const std::string& cluster, bool isHead, const std::string& networkId);
// A containers cluster's member from its container; its address is the one on network (a name).
Member memberFromContainer(const docker::ContainerSummary& container, const std::string& cluster, const std::string& network);
// Head first, then nodes by slot.
void sortMembers(std::vector<Member>& members);

// The tasks the engine wants running (the containers there are, for the containers backend), head
// first, then nodes by slot.
Result<std::vector<Member>> currentMembers(docker::Engine& engine, const ObservedCluster& cluster);

// When waiting must end: at a point in time, or earlier when *abort turns true (daemon shutdown)
// or *yield does (another operation waits for this one to give way).
struct Deadline {
    std::chrono::steady_clock::time_point at;
    const std::atomic<bool>* abort = nullptr;
    const std::atomic<bool>* yield = nullptr;
    bool passed() const { return std::chrono::steady_clock::now() >= at || (abort && abort->load()) || (yield && yield->load()); }
};

// Waits (until deadline) for the head and `nodes` nodes, verifying each member as soon as its task
// runs (while the others still start): its host key collected, then ssh from the head accepted
// with the cluster key, checked against that host key. Once all are verified, writes the MPI
// settings and the shared known_hosts: the members it returns are verified but not yet in the
// hostfile. Errors as makeReady's.
Result<std::vector<Member>> verifyMembers(docker::Engine& engine, HostEngines& hosts, const ObservedCluster& cluster, int nodes,
                                          int slotsOverride, const Deadline& deadline, const Progress& progress);

// The hostfile text listing exactly members, each with the container verified at its address.
Result<std::string> renderMembersHostfile(const std::string& cluster, const std::vector<Member>& members);

// A shared file's content as a writer read it: its write goes ahead only if the file still holds
// exactly that (read-modify-write without losing another writer's change in between).
struct UnchangedSince {
    std::string path;     // relative to the shared folder
    std::string content;  // as read; empty also matches a missing file
};

// Writes the hostfile listing exactly members (head first; each with the container verified at
// its address), copies the settings to the other hosts, and marks members ready. With unchanged,
// nothing is written (ErrorCode::conflict) when that file changed since it was read.
Status publishHostfile(docker::Engine& engine, const std::string& cluster, std::vector<Member>& members,
                       const std::optional<UnchangedSince>& unchanged = std::nullopt);

// verifyMembers, then the settings, known_hosts and hostfile written together, once, at the end
// (and copied to the other hosts); members marked ready. On timeout the error names every member
// that never got there and why: the tasks not running, or else each member not verified and
// where it stopped (no host key yet, sshd refusing). hosts: the swarm as the caller
// discovered it (slots per host CPUs, host keys through each host's engine).
Result<std::vector<Member>> makeReady(docker::Engine& engine, HostEngines& hosts, const ObservedCluster& cluster, int nodes,
                                      int slotsOverride, const Deadline& deadline, const Progress& progress);

// The shared folder is a volume local to each host. Copies paths (relative to the shared folder)
// from the head's copy to one member on every other host, over ssh from the head.
Status replicateSharedFiles(docker::Engine& engine, const std::vector<Member>& members, const std::vector<std::string>& paths);

// Puts files (paths relative to the shared folder) into the shared folder through the head. Each
// file replaces the old one in one rename: readers see the old file or the new, never a part.
// Writers take turns (a lock file in the shared folder, also across ppcsd). With unchanged,
// nothing is installed and the error is ErrorCode::conflict when that file no longer holds what
// the caller read: another writer (another ppcsd, say) changed it meanwhile.
Status writeSharedFiles(docker::Engine& engine, const std::string& headContainer, const std::vector<TarEntry>& files,
                        const std::optional<UnchangedSince>& unchanged = std::nullopt);

// The hostfile as the head sees it now (empty when there is none yet).
Result<std::string> readHostfile(docker::Engine& engine, const std::string& headContainer);

// Sets ready (and slots) on each member the head's hostfile lists at its address in the very
// container that was verified there; a replaced container at the same address is not ready.
// Returns how many entries are stale: hostfile lines whose verified container no longer runs
// there (it died, or was replaced, and nobody healed the cluster since) or that name none
// (written by an older ppcs), and, once a hostfile exists, running members it does not list.
// members: head first, as currentMembers gives them.
Result<int> markVerifiedMembers(docker::Engine& engine, const std::string& cluster, std::vector<Member>& members);

// True when an mpirun is running in the head container.
Result<bool> jobRunning(docker::Engine& engine, const std::string& headContainer);

}  // namespace ppcs::cluster
