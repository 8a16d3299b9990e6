#pragma once
// ppcsd's view of each cluster between requests, so that `run` need not read the cluster from the
// engine every time: the status last read while the cluster was whole (a head and every desired
// node running and verified), kept for as long as the engine's events say nothing that could
// change it. It is never kept on a guess: an event it cannot interpret, a gap in the event stream
// (reconnect after an error, engine restarted) or an operation that changes the cluster drops it,
// and the next request reads the cluster again.
//
// Events that leave a view true: on a member's container, the ones ppcs's own work makes without
// changing who is a member or where (exec_create/exec_start/exec_die, archive-path,
// extract-to-dir, top, resize, attach, detach); an update of the head service (ppcs changes only
// its labels: the lease); anything about containers and services of no ppcs cluster. Every other
// event about a cluster's containers or services drops its view; any swarm host event drops all.

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "cluster/lease.h"
#include "docker/engine.h"
#include "model/cluster_status.h"

namespace ppcs::cluster {

using model::ClusterStatus;

class ClusterViews {
public:
    // The view of cluster, when one is held.
    std::optional<ClusterStatus> find(const std::string& cluster) const;
    // Counts the drops so far: take it before reading a cluster, give it to store().
    std::uint64_t epoch() const;
    // Keeps status as its cluster's view when it is whole (a head first, desiredNodes nodes, every
    // member running and ready, all on the head's host: containers on other hosts send no events
    // here) and nothing was dropped since readStarted (an event that came
    // during the read may concern it). Returns whether it was kept.
    bool store(const ClusterStatus& status, std::uint64_t readStarted);
    // One engine event (container, service or node): drops every view it may make false.
    void apply(const docker::EngineEvent& event);
    void forget(const std::string& cluster);
    void forgetAll();

private:
    void dropLocked(const std::string& cluster);

    mutable std::mutex mutex_;
    std::uint64_t epoch_ = 0;
    std::map<std::string, ClusterStatus> views_;
};

// Follows the engine's container, service and node events on a thread of its own and applies them
// to views. A stream that breaks (rather than idles) forgets every view: events may have been
// lost meanwhile.
class ClusterViewWatcher {
public:
    ClusterViewWatcher(EngineFactory engines, ClusterViews& views) : engines_(std::move(engines)), views_(views) {}
    ~ClusterViewWatcher() { stop(); }
    ClusterViewWatcher(const ClusterViewWatcher&) = delete;
    ClusterViewWatcher& operator=(const ClusterViewWatcher&) = delete;

    void start();
    void stop();

private:
    void follow();

    EngineFactory engines_;
    ClusterViews& views_;
    std::atomic<bool> stopping_{false};
    std::thread follower_;
};

}  // namespace ppcs::cluster
