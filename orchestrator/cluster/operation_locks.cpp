#include "cluster/operation_locks.h"

#include <algorithm>
#include <thread>

namespace ppcs::cluster {
namespace {

bool changesTasks(model::ClusterOperation operation) {
    return operation == model::ClusterOperation::up || operation == model::ClusterOperation::scale ||
           operation == model::ClusterOperation::down;
}

constexpr auto kYieldPoll = std::chrono::milliseconds(50);
constexpr auto kForeignHealPoll = std::chrono::milliseconds(200);

}  // namespace

bool operationsShare(model::ClusterOperation a, model::ClusterOperation b) {
    using model::ClusterOperation;
    // Jobs side by side: the queue places them on disjoint members.
    if (a == ClusterOperation::run && b == ClusterOperation::run) return true;
    return (a == ClusterOperation::run && b == ClusterOperation::heal) ||
           (a == ClusterOperation::heal && b == ClusterOperation::run);
}

bool operationYields(model::ClusterOperation operation) { return operation == model::ClusterOperation::heal; }

OperationLocks::Claim OperationLocks::claim(const std::string& cluster, model::ClusterOperation operation,
                                            model::ClusterOperation& refusal, std::shared_ptr<std::atomic<bool>>& yield) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto& entry = busy_[cluster];
    bool mustWait = false;
    for (const auto& holder : entry.holders) {
        if (operationsShare(holder.operation, operation)) continue;
        if (!operationYields(holder.operation)) {
            refusal = holder.operation;
            return Claim::refused;
        }
        mustWait = true;
    }
    if (mustWait) {
        for (auto& holder : entry.holders)
            if (!operationsShare(holder.operation, operation)) *holder.yield = true;
        return Claim::mustWait;
    }
    yield = std::make_shared<std::atomic<bool>>(false);
    entry.holders.push_back({operation, yield});
    return Claim::taken;
}

Result<OperationLocks::Held> OperationLocks::acquire(const std::string& cluster, model::ClusterOperation operation,
                                                     std::chrono::milliseconds yieldWait, LeaseTaking lease) {
    auto until = std::chrono::steady_clock::now() + yieldWait;
    std::shared_ptr<std::atomic<bool>> yield;
    auto refusal = model::ClusterOperation::other;
    for (Claim claimed = claim(cluster, operation, refusal, yield); claimed != Claim::taken;
         claimed = claim(cluster, operation, refusal, yield)) {
        if (claimed == Claim::mustWait && std::chrono::steady_clock::now() < until) {
            std::this_thread::sleep_for(kYieldPoll);
            continue;
        }
        if (claimed == Claim::mustWait) refusal = model::ClusterOperation::heal;
        return makeError(ErrorCode::conflict, "cluster '" + cluster + "' is busy with another request (" +
                                                  std::string(model::clusterOperationName(refusal)) +
                                                  "): try again when it ends");
    }
    Held held(*this, cluster, operation, yield);
    if (lease == LeaseTaking::later) return held;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
    if (auto taken = takeLease(held, std::max(left, std::chrono::milliseconds(0))); !taken) return taken.error();
    return held;
}

Status OperationLocks::takeLease(Held& held, std::chrono::milliseconds healWait) {
    if (!engines_) return {};
    auto until = std::chrono::steady_clock::now() + healWait;
    while (true) {
        auto lease = takeOrShareLease(held);
        if (lease || lease.error().code != ErrorCode::conflict || std::chrono::steady_clock::now() >= until) return lease;
        // Waited for without leaseMutex_: other clusters' leases are taken meanwhile.
        auto engine = engines_();
        auto foreign = engine ? foreignLease(**engine, held.cluster_) : std::nullopt;
        if (foreign && foreign->operation != model::ClusterOperation::heal) return lease;
        std::this_thread::sleep_for(kForeignHealPoll);
    }
}

Status OperationLocks::takeOrShareLease(Held& held) {
    std::lock_guard<std::mutex> taking(leaseMutex_);
    {
        std::lock_guard<std::mutex> lock(mutex_);
        held.lease_ = busy_[held.cluster_].lease.lock();
    }
    if (held.lease_) return {};
    auto lease = ClusterLease::take(engines_, held.cluster_, held.operation_, settings_);
    if (!lease) return lease.error();
    held.lease_ = std::shared_ptr<ClusterLease>(std::move(*lease));
    std::lock_guard<std::mutex> lock(mutex_);
    busy_[held.cluster_].lease = held.lease_;
    return {};
}

std::optional<model::ClusterOperation> OperationLocks::busyWith(const std::string& cluster) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        auto busy = busy_.find(cluster);
        if (busy != busy_.end() && !busy->second.holders.empty()) return busy->second.holders.front().operation;
    }
    if (!engines_) return std::nullopt;
    auto engine = engines_();
    if (!engine) return std::nullopt;
    auto foreign = foreignLease(**engine, cluster);
    if (!foreign) return std::nullopt;
    return foreign->operation;
}

bool OperationLocks::heldHereAgainst(const std::string& cluster, model::ClusterOperation operation) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto busy = busy_.find(cluster);
    if (busy == busy_.end()) return false;
    for (const auto& holder : busy->second.holders)
        if (!operationsShare(holder.operation, operation)) return true;
    return false;
}

bool OperationLocks::tasksChanging(const std::string& cluster) {
    auto operation = busyWith(cluster);
    return operation && changesTasks(*operation);
}

void OperationLocks::release(Held& held) {
    {
        // The last holder's lease is released here, before any other can be taken for the cluster.
        std::lock_guard<std::mutex> taking(leaseMutex_);
        held.lease_.reset();
    }
    std::lock_guard<std::mutex> lock(mutex_);
    auto busy = busy_.find(held.cluster_);
    if (busy == busy_.end()) return;
    auto& holders = busy->second.holders;
    auto found =
        std::find_if(holders.begin(), holders.end(), [&held](const Holder& holder) { return holder.yield == held.yield_; });
    if (found != holders.end()) holders.erase(found);
    if (holders.empty()) busy_.erase(busy);
}

}  // namespace ppcs::cluster
