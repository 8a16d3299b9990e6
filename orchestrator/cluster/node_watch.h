#pragma once
// Node loss while ppcsd runs: follows the engine's event stream for containers of ppcs clusters
// that die, and for swarm hosts that go down; containers on other hosts send no events here, so
// the nodes running on other (ready) hosts are polled every few seconds as well. A dead member is dropped from its cluster's
// hostfile at once (its ssh connection from the head closed), the loss is reported (a running job on the cluster is stopped), and
// once Swarm has replaced the task the cluster is made ready again: new host key, ssh verified, hostfile rewritten. Deaths during
// up/scale/down are those operations' own business and ignored. Healing shares the cluster with a running job
// (operation_locks.h): the job goes on, or starts, on the ready members; the heal gives way to up, scale and down. Healing is
// retried with a growing pause for as long as the cluster exists, every failure an event. After the engine was lost (dockerd
// restarted: every task replaced, events meanwhile lost), on ppcsd's start and every 30 s, clusters whose members are not all
// verified are healed.

#include <atomic>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "cluster/cluster_manager.h"
#include "cluster/observed.h"
#include "common/result.h"
#include "docker/engine.h"

namespace ppcs::cluster {

// What happened to each cluster and when, newest last; `status` shows it.
class ClusterEvents {
public:
    void add(const std::string& cluster, const std::string& text);
    std::vector<std::string> recent(const std::string& cluster, std::size_t count);  // "TIME text"
    // Called with the cluster's name after each add (outside the lock); set before events come.
    void setListener(std::function<void(const std::string& cluster)> listener) { listener_ = std::move(listener); }

private:
    std::function<void(const std::string&)> listener_;
    std::mutex mutex_;
    std::map<std::string, std::deque<std::string>> events_;
};

// A lost member, or a whole docker host whose members are lost (which ones is not known).
struct NodeLoss {
    std::string cluster;
    std::string hostname;    // <cluster>-head or <cluster>-node-<slot>; empty for a lost docker host
    std::string address;     // as the hostfile had it; empty when unknown
    std::string dockerHost;  // the docker host that went down; empty for a lost member
};

class NodeWatcher {
public:
    NodeWatcher(EngineFactory engines, OperationLocks& locks, ClusterEvents& events, std::function<void(const NodeLoss&)> onLoss)
        : engines_(std::move(engines)), locks_(locks), events_(events), onLoss_(std::move(onLoss)) {}
    ~NodeWatcher() { stop(); }

    void start();
    // Stops following events and waits for healing in progress to give up.
    void stop();

private:
    void follow();
    void onDeath(const docker::EngineEvent& event);
    // Polls the nodes running on other hosts; one that stopped is handled like a death here.
    void pollOtherHosts();
    struct RemoteTask {
        int slot = 0;
        std::string nodeId;
    };
    struct RemoteTasks {
        std::string serviceId;  // the node service, and its spec version, when they were seen
        std::uint64_t version = 0;
        std::map<std::string, RemoteTask> running;  // task ID -> slot and host
    };
    void checkOtherHosts(docker::Engine& engine, std::map<std::string, RemoteTasks>& lastRunning);
    // A lost member: dropped from the hostfile (when engine is given), the loss recorded and
    // reported, healing started.
    // deadContainer, when known, is the container that died: a death of a container the hostfile
    // no longer lists (an old one, replaced since) is no loss and is ignored.
    void memberLost(docker::Engine* engine, const std::string& cluster, const std::string& hostname, const std::string& why,
                    const std::string& deadContainer = "");
    // A swarm host going down: every cluster with members there loses them and is healed.
    void onHostChange(const docker::EngineEvent& event);
    // Starts healing cluster, or tells the healing in progress that another loss came in.
    void scheduleHeal(const std::string& cluster);
    bool healingNow(const std::string& cluster);
    // Tells the healing in progress, if any, that a loss came in (before the hostfile is edited).
    void lossDuringHeal(const std::string& cluster);
    // Whether a loss came in since the last call, and forgets it.
    bool takeLossNotice(const std::string& cluster);
    // Heals until the cluster is ready again or gone, or ppcsd stops.
    void heal(const std::string& cluster);
    struct HealAttempt {
        enum class Kind { healed, gone, busy, failed };
        Kind kind;
        std::string why;  // busy, failed: what stood in the way
    };
    HealAttempt healOnce(const std::string& cluster);
    // The end of an attempt, under the cluster's lease: the hostfile listing the verified members,
    // unless a loss came in, the members changed, or another ppcsd already wrote it.
    HealAttempt publishVerified(docker::Engine& engine, const ObservedCluster& observed, std::vector<Member>& members);
    // Heals every cluster whose running members are not all verified, or, after the engine was
    // lost (restarted, unreachable), every cluster. False when the clusters could not be listed
    // (a restarted swarm without a leader yet, say): the caller looks again later.
    bool recheckClusters(docker::Engine& engine, bool afterLoss);
    enum class EngineLink { first, steady, lost };

    EngineFactory engines_;
    OperationLocks& locks_;
    ClusterEvents& events_;
    std::function<void(const NodeLoss&)> onLoss_;
    std::atomic<bool> stopping_{false};
    std::thread follower_;
    std::thread poller_;
    std::mutex healMutex_;
    std::map<std::string, bool> healing_;         // cluster -> another death arrived while healing
    std::map<std::string, std::thread> healers_;  // the latest heal of each cluster
};

// What dropFromHostfile did.
struct HostfileDrop {
    enum class Kind { dropped, notListed, otherContainer };
    Kind kind = Kind::notListed;
    std::string address;  // dropped: the address it had
};

// Removes hostname's line from the hostfile in the head and closes the head's reused ssh
// connection to its address. With deadContainer given, the line is removed only when it lists
// that container (or none): a line of a replacement stays (Kind::otherContainer).
Result<HostfileDrop> dropFromHostfile(docker::Engine& engine, const std::string& cluster, const std::string& headContainer,
                                      const std::string& hostname, const std::string& deadContainer = "");

}  // namespace ppcs::cluster
