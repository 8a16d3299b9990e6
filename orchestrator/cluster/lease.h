#pragma once
// The lease that serialises operations on one cluster across every ppcsd following the same
// engine (two users with their own state directories, a test suite beside a user's daemon).
// OperationLocks (cluster_manager.h) serialises them inside one ppcsd; the lease does it in Docker,
// as a label on the cluster's head service:
//   ppcs.lease = "<owner> <operation> <expiry in Unix milliseconds>"
// It is taken and released by compare-and-swap on the service's version
// (Engine::updateServiceLabels: a concurrent change makes it read and decide again), renewed
// while held, and it expires when its ppcsd dies without releasing it: an expired lease is free
// for anyone to take; so is at once the lease of a ppcsd on this host whose process is gone.
// Changing only the service's labels leaves its tasks running.
//
// A released lease stays on the service with its expiry set to the release time, so the last
// holder and operation can still be read (a heal that another ppcsd finished is not done twice).
//
// Limits: a cluster without a head service (a new cluster's `up`, before it has created one, and
// every containers cluster: a container's labels cannot change) has nothing to lease; take() then holds nothing and the engine's
// name conflicts keep two `up`s of one new cluster apart. Expiry is wall-clock time: ppcsd on different hosts of one swarm need
// clocks within a few seconds of each other (well under the ttl).

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "common/result.h"
#include "docker/engine.h"
#include "model/cluster_operation.h"

namespace ppcs::cluster {

inline constexpr const char* kLeaseLabel = "ppcs.lease";

// A connection to the engine, made anew at each call (ppcsd outlives an engine restart); tests
// give one to a fake.
using EngineFactory = std::function<Result<std::shared_ptr<docker::Engine>>()>;
// The factory of real clients: each call connects with connect
// (docker::EngineClient::connectFromEnvironment, say).
EngineFactory clientFactory(std::function<Result<docker::EngineClient>()> connect);

struct LeaseRecord {
    std::string owner;  // the ppcsd that took it (leaseOwnerId())
    model::ClusterOperation operation = model::ClusterOperation::other;
    std::int64_t expiresAtMs = 0;  // Unix milliseconds; a released lease expired when it was released

    bool liveAt(std::int64_t nowMs) const { return expiresAtMs > nowMs; }
};

// The label's value and back; a malformed value decodes to nullopt (and counts as free).
std::string encodeLeaseRecord(const LeaseRecord& record);
std::optional<LeaseRecord> decodeLeaseRecord(std::string_view text);

// "<hostname>:<pid>:<random hex>": unique per ppcsd process, the same for its whole life.
const std::string& leaseOwnerId();
std::int64_t unixMillisNow();

struct LeaseSettings {
    std::chrono::milliseconds ttl{30000};         // how long a lease outlives its last renewal
    std::chrono::milliseconds renewEvery{10000};  // well under ttl: one lost renewal is not fatal
    // Renewal stops after this, so a wedged operation cannot hold a cluster for ever.
    std::chrono::milliseconds maxHold{std::chrono::hours(24)};
};

// A lease held by this process: renewed in the background, released when destroyed.
class ClusterLease {
public:
    // Takes cluster's lease for operation as owner. Refused (ErrorCode::conflict, naming the
    // holder, its operation and how long it has left) while another owner's lease is live and its
    // process is not known to be gone; a lease
    // of the same owner counts as free (the caller's in-process lock already keeps its operations
    // apart). A cluster without a head service gives a lease that holds nothing (held() false).
    static Result<std::unique_ptr<ClusterLease>> take(EngineFactory engines, const std::string& cluster,
                                                      model::ClusterOperation operation, LeaseSettings settings = {},
                                                      std::string owner = leaseOwnerId());
    ClusterLease(const ClusterLease&) = delete;
    ClusterLease& operator=(const ClusterLease&) = delete;
    // Stops renewing, then releases (when it is still ours; a service gone meanwhile is fine).
    ~ClusterLease();

    bool held() const { return !serviceId_.empty(); }
    const std::string& serviceId() const { return serviceId_; }

private:
    ClusterLease(EngineFactory engines, std::string cluster, std::string serviceId, LeaseRecord record, LeaseSettings settings);
    void renewUntilReleased();
    // One compare-and-swap of our own record to expiresAtMs; an error when it is no longer ours.
    Status rewrite(docker::Engine& engine, std::int64_t expiresAtMs);

    EngineFactory engines_;
    std::string cluster_;
    std::string serviceId_;
    LeaseRecord record_;
    LeaseSettings settings_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool releasing_ = false;
    std::thread renewer_;
};

// The live lease another owner (not known to be gone) holds on cluster, if any; nullopt also when
// it cannot be read.
std::optional<LeaseRecord> foreignLease(docker::Engine& engine, const std::string& cluster,
                                        const std::string& owner = leaseOwnerId());

// True when another owner heals cluster now, or finished healing it at or after sinceMs: a loss
// noticed at sinceMs then needs no heal of ours. Logs which ppcsd it is left to.
bool healedByAnother(docker::Engine& engine, const std::string& cluster, std::int64_t sinceMs,
                     const std::string& owner = leaseOwnerId());

}  // namespace ppcs::cluster
