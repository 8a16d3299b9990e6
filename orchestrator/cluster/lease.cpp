#include "cluster/lease.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <random>

#include "cluster/spec.h"
#include "common/files.h"
#include "common/guarded.h"
#include "common/log.h"
#include "common/strings.h"

namespace ppcs::cluster {
namespace {

std::optional<LeaseRecord> recordOf(const docker::ServiceInfo& service) {
    auto label = service.labels.find(kLeaseLabel);
    if (label == service.labels.end()) return std::nullopt;
    return decodeLeaseRecord(label->second);
}

std::string busyMessage(const std::string& cluster, const LeaseRecord& holder, std::int64_t nowMs) {
    return "cluster '" + cluster + "' is busy with another ppcsd (" + holder.owner + ", " +
           std::string(model::clusterOperationName(holder.operation)) + ", lease for " +
           std::to_string((holder.expiresAtMs - nowMs + 999) / 1000) + " s more): try again when it ends";
}

// The head service, nullopt when the cluster has none (a containers cluster, an engine without Swarm).
Result<std::optional<docker::ServiceInfo>> headService(docker::Engine& engine, const std::string& cluster) {
    auto heads = engine.listServices(roleLabels(cluster, MemberRole::head));
    if (!heads && docker::failedForNoSwarm(heads.error())) return std::optional<docker::ServiceInfo>();
    if (!heads) return heads.error();
    if (heads->empty()) return std::optional<docker::ServiceInfo>();
    return std::optional<docker::ServiceInfo>(heads->front());
}

std::optional<LeaseRecord> currentRecord(docker::Engine& engine, const std::string& cluster) {
    auto head = headService(engine, cluster);
    if (!head || !*head) return std::nullopt;
    return recordOf(**head);
}

std::string thisHostname() {
    char host[256] = {};
    if (::gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') return "unknown";
    return host;
}

// A holder on this host whose process is gone (a ppcsd killed with SIGKILL) holds nothing, even
// before its lease expires: its successor must be able to clean up after it at once.
bool holderIsGone(const LeaseRecord& record) {
    auto parts = split(record.owner, ':');
    if (parts.size() != 3 || parts[0] != thisHostname()) return false;
    int pid = std::atoi(parts[1].c_str());
    if (pid <= 0) return false;
    if (::kill(pid, 0) != 0) return errno == ESRCH;
    // Killed but not yet reaped: "PID (name) Z ...".
    auto stat = readFile("/proc/" + std::to_string(pid) + "/stat");
    return stat && stat->find(") Z ") != std::string::npos;
}

bool heldByAnother(const std::optional<LeaseRecord>& found, const std::string& owner, std::int64_t nowMs) {
    return found && found->owner != owner && found->liveAt(nowMs) && !holderIsGone(*found);
}

std::string randomHex() {
    std::random_device device;
    std::uniform_int_distribution<std::uint32_t> bits;
    char text[9];
    std::snprintf(text, sizeof text, "%08x", bits(device));
    return text;
}

}  // namespace

std::string encodeLeaseRecord(const LeaseRecord& record) {
    return record.owner + " " + std::string(model::clusterOperationName(record.operation)) + " " +
           std::to_string(record.expiresAtMs);
}

std::optional<LeaseRecord> decodeLeaseRecord(std::string_view text) {
    auto parts = split(std::string(text), ' ');
    if (parts.size() != 3 || parts[0].empty() || parts[1].empty() || parts[2].empty()) return std::nullopt;
    if (parts[2].find_first_not_of("0123456789") != std::string::npos || parts[2].size() > 18) return std::nullopt;
    return LeaseRecord{parts[0], model::clusterOperationFromName(parts[1]), std::stoll(parts[2])};
}

const std::string& leaseOwnerId() {
    static const std::string id = thisHostname() + ":" + std::to_string(::getpid()) + ":" + randomHex();
    return id;
}

std::int64_t unixMillisNow() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

EngineFactory clientFactory(std::function<Result<docker::EngineClient>()> connect) {
    return [connect = std::move(connect)]() -> Result<std::shared_ptr<docker::Engine>> {
        auto client = connect();
        if (!client) return client.error();
        return std::shared_ptr<docker::Engine>(std::make_shared<docker::EngineClient>(std::move(*client)));
    };
}

Result<std::unique_ptr<ClusterLease>> ClusterLease::take(EngineFactory engines, const std::string& cluster,
                                                         model::ClusterOperation operation, LeaseSettings settings,
                                                         std::string owner) {
    std::string what = "take the lease of cluster '" + cluster + "'";
    auto engine = engines();
    if (!engine) return engine.error().context(what);
    auto head = headService(**engine, cluster);
    if (!head) return head.error().context(what);
    LeaseRecord mine{std::move(owner), operation, 0};
    if (!*head) return std::unique_ptr<ClusterLease>(new ClusterLease(std::move(engines), cluster, "", mine, settings));
    auto taken = (*engine)->updateServiceLabels((*head)->id, [&](const docker::ServiceInfo& service) -> Result<docker::Labels> {
        auto found = recordOf(service);
        std::int64_t now = unixMillisNow();
        if (heldByAnother(found, mine.owner, now)) return makeError(ErrorCode::conflict, busyMessage(cluster, *found, now));
        mine.expiresAtMs = now + settings.ttl.count();
        return docker::Labels{{kLeaseLabel, encodeLeaseRecord(mine)}};
    });
    if (!taken) return taken.error().code == ErrorCode::conflict ? taken.error() : taken.error().context(what);
    return std::unique_ptr<ClusterLease>(new ClusterLease(std::move(engines), cluster, (*head)->id, mine, settings));
}

ClusterLease::ClusterLease(EngineFactory engines, std::string cluster, std::string serviceId, LeaseRecord record,
                           LeaseSettings settings)
    : engines_(std::move(engines)),
      cluster_(std::move(cluster)),
      serviceId_(std::move(serviceId)),
      record_(std::move(record)),
      settings_(settings) {
    if (held()) renewer_ = std::thread([this] { runGuarded("lease renewal", [this] { renewUntilReleased(); }); });
}

ClusterLease::~ClusterLease() {
    if (!held()) return;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        releasing_ = true;
    }
    wake_.notify_all();
    renewer_.join();
    auto engine = engines_();
    // Gone (`down` removed the service) or taken over after expiring: nothing of ours to release.
    Status released = engine ? rewrite(**engine, unixMillisNow()) : Status(engine.error());
    if (!released && released.error().code != ErrorCode::notFound && released.error().code != ErrorCode::conflict)
        log::warn("release the lease of cluster '" + cluster_ + "' (it expires by itself): " + released.error().message);
}

void ClusterLease::renewUntilReleased() {
    auto stopAt = std::chrono::steady_clock::now() + settings_.maxHold;
    std::unique_lock<std::mutex> lock(mutex_);
    while (!wake_.wait_for(lock, settings_.renewEvery, [this] { return releasing_; })) {
        if (std::chrono::steady_clock::now() >= stopAt) {
            log::warn("cluster '" + cluster_ + "': " + std::string(model::clusterOperationName(record_.operation)) +
                      " held the lease for too long: no longer renewed");
            return;
        }
        lock.unlock();
        auto engine = engines_();
        Status renewed = engine ? rewrite(**engine, unixMillisNow() + settings_.ttl.count()) : Status(engine.error());
        lock.lock();
        if (renewed) continue;
        log::warn("renew the lease of cluster '" + cluster_ + "': " + renewed.error().message);
        // Lost to another owner, or the service is gone: renewing again cannot help.
        if (renewed.error().code == ErrorCode::conflict || renewed.error().code == ErrorCode::notFound) return;
    }
}

Status ClusterLease::rewrite(docker::Engine& engine, std::int64_t expiresAtMs) {
    return engine.updateServiceLabels(serviceId_, [&](const docker::ServiceInfo& service) -> Result<docker::Labels> {
        auto found = recordOf(service);
        if (!found || found->owner != record_.owner || found->operation != record_.operation)
            return makeError(
                ErrorCode::conflict,
                "the lease is no longer ours" +
                    (found ? " (" + found->owner + " " + std::string(model::clusterOperationName(found->operation)) + ")"
                           : std::string()));
        LeaseRecord renewed = record_;
        renewed.expiresAtMs = expiresAtMs;
        return docker::Labels{{kLeaseLabel, encodeLeaseRecord(renewed)}};
    });
}

std::optional<LeaseRecord> foreignLease(docker::Engine& engine, const std::string& cluster, const std::string& owner) {
    auto found = currentRecord(engine, cluster);
    if (!heldByAnother(found, owner, unixMillisNow())) return std::nullopt;
    return found;
}

bool healedByAnother(docker::Engine& engine, const std::string& cluster, std::int64_t sinceMs, const std::string& owner) {
    auto found = currentRecord(engine, cluster);
    if (!found || found->owner == owner || found->operation != model::ClusterOperation::heal || found->expiresAtMs < sinceMs)
        return false;
    log::info("cluster '" + cluster + "': healing left to " + found->owner +
              (found->liveAt(unixMillisNow()) ? ", which heals it now" : ", which healed it"));
    return true;
}

}  // namespace ppcs::cluster
