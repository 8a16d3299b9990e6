#pragma once
// Who may work on a cluster at once. up, scale, down and bench have the cluster to themselves;
// jobs share it with each other (the job queue places them on disjoint members), and a job and a
// heal share it (the heal rewrites only the shared hostfile, which a running job does
// not read: it has its own), so a lost node never makes the cluster refuse a job. A heal also
// gives way: an operation that cannot share with it asks it to yield (Held::yieldRequested) and
// waits for it, so `down` or `scale` is never refused because a replacement is slow to start.
// Anything else that cannot share is refused at once (ErrorCode::conflict) rather than queued.
// Within this ppcsd by an in-process table; across every ppcsd following the engine, when built
// with an EngineFactory, by the cluster's lease in Docker (cluster/lease.h), held while any
// operation of this process holds the cluster.

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "cluster/lease.h"
#include "common/result.h"

namespace ppcs::cluster {

// True when operations a and b may hold one cluster at the same time (in one ppcsd).
bool operationsShare(model::ClusterOperation a, model::ClusterOperation b);
// True when a holder doing `operation` gives way to one that cannot share with it.
bool operationYields(model::ClusterOperation operation);

class OperationLocks {
public:
    class Held {
    public:
        Held(OperationLocks& locks, std::string cluster, model::ClusterOperation operation,
             std::shared_ptr<std::atomic<bool>> yield)
            : locks_(&locks), cluster_(std::move(cluster)), operation_(operation), yield_(std::move(yield)) {}
        Held(Held&& other) noexcept
            : locks_(other.locks_),
              cluster_(std::move(other.cluster_)),
              operation_(other.operation_),
              yield_(std::move(other.yield_)),
              lease_(std::move(other.lease_)) {
            other.locks_ = nullptr;
        }
        Held(const Held&) = delete;
        // The lease first (released when no other operation of this process shares it): once this
        // process is free again, it must not find its own lease live.
        ~Held() {
            if (locks_) locks_->release(*this);
        }

        // Turns true when another operation waits for this one to give way (operationYields).
        const std::atomic<bool>* yieldRequested() const { return yield_.get(); }

    private:
        friend class OperationLocks;
        OperationLocks* locks_;
        std::string cluster_;
        model::ClusterOperation operation_;
        std::shared_ptr<std::atomic<bool>> yield_;
        std::shared_ptr<ClusterLease> lease_;
    };

    // In-process only (for tests and tools that run alone).
    OperationLocks() = default;
    // In-process and in Docker, through engines' connections.
    explicit OperationLocks(EngineFactory engines, LeaseSettings settings = {})
        : engines_(std::move(engines)), settings_(settings) {}

    // Refused, naming who holds the cluster, while an operation of this process that cannot share
    // with this one and does not yield, or another ppcsd's live lease, holds it; a failure to
    // reach the engine for the lease is an error too. Holders that yield are asked to and waited
    // for, at most yieldWait (then refused as busy).
    // A live lease of another ppcsd that is healing is waited for too (its heal holds it only
    // while it writes the hostfile), at most yieldWait.
    // With LeaseTaking::later the holder holds the cluster in this process only until takeLease.
    enum class LeaseTaking { now, later };
    Result<Held> acquire(const std::string& cluster, model::ClusterOperation operation,
                         std::chrono::milliseconds yieldWait = std::chrono::seconds(20), LeaseTaking lease = LeaseTaking::now);
    // Takes (or shares, with this process's other holders) the cluster's lease for a holder
    // acquired with LeaseTaking::later; refused while another ppcsd's live lease holds it.
    Status takeLease(Held& held, std::chrono::milliseconds healWait = std::chrono::seconds(0));
    // The operation holding the cluster, if any (the first of this process's, else another
    // ppcsd's live lease).
    std::optional<model::ClusterOperation> busyWith(const std::string& cluster);
    // True when an operation of this process that cannot share the cluster with `operation` holds
    // it (no engine call: another ppcsd's lease is found when the cluster is acquired).
    bool heldHereAgainst(const std::string& cluster, model::ClusterOperation operation);
    // True when up, scale or down (of this process or another ppcsd) holds the cluster: what
    // happens to its tasks meanwhile is that operation's business.
    bool tasksChanging(const std::string& cluster);

private:
    struct Holder {
        model::ClusterOperation operation;
        std::shared_ptr<std::atomic<bool>> yield;
    };
    struct Holders {
        std::vector<Holder> holders;
        std::weak_ptr<ClusterLease> lease;  // shared by every holder of this process
    };
    // Registers operation as a holder (taken), or says why not: refused (a holder in the way that
    // does not yield; refusal says who) or mustWait (only yielding holders in the way, now asked to).
    enum class Claim { taken, mustWait, refused };
    Claim claim(const std::string& cluster, model::ClusterOperation operation, model::ClusterOperation& refusal,
                std::shared_ptr<std::atomic<bool>>& yield);
    // One try: this process's lease for the cluster, shared, or a new one taken.
    Status takeOrShareLease(Held& held);
    void release(Held& held);

    EngineFactory engines_;
    LeaseSettings settings_;
    std::mutex mutex_;
    std::mutex leaseMutex_;  // one lease taken at a time, so that sharing holders take it once
    std::map<std::string, Holders> busy_;
};

}  // namespace ppcs::cluster
