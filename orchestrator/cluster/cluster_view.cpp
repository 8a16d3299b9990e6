#include "cluster/cluster_view.h"

#include <algorithm>
#include <ctime>
#include <set>
#include <utility>

#include "cluster/spec.h"
#include "common/guarded.h"
#include "common/log.h"
#include "common/strings.h"

namespace ppcs::cluster {
namespace {

// What ppcs's own work does to a member's container without changing who is a member or where.
bool harmlessContainerAction(const std::string& action) {
    static const std::set<std::string> harmless{"exec_create", "exec_start", "exec_detach", "archive-path", "extract-to-dir",
                                                "top",         "resize",     "attach",      "detach"};
    // Docker appends the command to exec actions: "exec_start: sh -c ...", "exec_die" has none.
    std::string name = action.substr(0, action.find(':'));
    return harmless.count(name) > 0 || name == "exec_die";
}

// The cluster a service named "<cluster>_mpihead" or "<cluster>_mpinode" belongs to, and whether
// it is the head service; nothing for other services.
std::optional<std::pair<std::string, bool>> clusterOfService(const std::string& service) {
    for (bool head : {true, false}) {
        std::string suffix = head ? "_mpihead" : "_mpinode";
        if (service.size() > suffix.size() && endsWith(service, suffix))
            return std::make_pair(service.substr(0, service.size() - suffix.size()), head);
    }
    return std::nullopt;
}

bool whole(const ClusterStatus& status) {
    if (status.members.empty() || status.members.front().role != model::MemberRole::head) return false;
    if (static_cast<int>(status.members.size()) != status.desiredNodes + 1) return false;
    // Containers on other hosts send no events to this engine: only a cluster all on the head's
    // host (the local one) can be kept current from events.
    const std::string& host = status.members.front().dockerHostId;
    return std::all_of(status.members.begin(), status.members.end(), [&host](const model::Member& member) {
        return member.ready && member.state == "running" && !member.containerId.empty() && !member.address.empty() &&
               member.dockerHostId == host;
    });
}

}  // namespace

std::optional<ClusterStatus> ClusterViews::find(const std::string& cluster) const {
    std::lock_guard<std::mutex> lock(mutex_);
    auto found = views_.find(cluster);
    if (found == views_.end()) return std::nullopt;
    return found->second;
}

std::uint64_t ClusterViews::epoch() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return epoch_;
}

bool ClusterViews::store(const ClusterStatus& status, std::uint64_t readStarted) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (readStarted != epoch_ || !whole(status)) return false;
    views_[status.name] = status;
    return true;
}

void ClusterViews::dropLocked(const std::string& cluster) {
    ++epoch_;
    views_.erase(cluster);
}

void ClusterViews::forget(const std::string& cluster) {
    std::lock_guard<std::mutex> lock(mutex_);
    dropLocked(cluster);
}

void ClusterViews::forgetAll() {
    std::lock_guard<std::mutex> lock(mutex_);
    ++epoch_;
    views_.clear();
}

void ClusterViews::apply(const docker::EngineEvent& event) {
    if (event.type == "container") {
        auto cluster = event.attributes.find(kClusterLabel);
        if (cluster == event.attributes.end() || harmlessContainerAction(event.action)) return;
        forget(cluster->second);
    } else if (event.type == "service") {
        auto name = event.attributes.find("name");
        // A service event without a name cannot be placed: it may be any cluster's.
        if (name == event.attributes.end()) return forgetAll();
        auto cluster = clusterOfService(name->second);
        if (!cluster) return;
        // ppcs updates the head service only to change its labels (the lease): members stay.
        if (event.action == "update" && cluster->second) return;
        forget(cluster->first);
    } else {
        // A swarm host changed (went down, drained, left...): any cluster may have lost members.
        forgetAll();
    }
}

void ClusterViewWatcher::start() {
    follower_ = std::thread([this] { runGuarded("cluster view watch", [this] { follow(); }); });
}

void ClusterViewWatcher::stop() {
    stopping_ = true;
    if (follower_.joinable()) follower_.join();
}

void ClusterViewWatcher::follow() {
    const std::map<std::string, std::vector<std::string>> filters{{"type", {"container", "service", "node"}}};
    std::int64_t since = static_cast<std::int64_t>(std::time(nullptr));
    std::set<std::pair<std::string, std::int64_t>> seen;  // events replayed after a reconnect
    while (!stopping_) {
        auto engine = engines_();
        if (!engine) {
            views_.forgetAll();
            std::this_thread::sleep_for(std::chrono::seconds(1));
            continue;
        }
        // A short idle limit: stop() is noticed within a second; the reconnect asks from `since`,
        // so nothing between two connections is missed.
        auto followed = (*engine)->followEvents(filters, since, std::chrono::seconds(1), [&](const docker::EngineEvent& event) {
            if (!seen.insert({event.actorId + " " + event.action, event.timeNano}).second) return !stopping_.load();
            if (seen.size() > 10000) seen.clear();
            since = std::max<std::int64_t>(since, event.timeNano / 1000000000);
            views_.apply(event);
            return !stopping_.load();
        });
        if (!followed && followed.error().code != ErrorCode::timeout) {
            // The stream broke: what happened until the next connection is unknown.
            views_.forgetAll();
            if (!stopping_) std::this_thread::sleep_for(std::chrono::milliseconds(200));
        }
    }
}

}  // namespace ppcs::cluster
