#include "cluster/node_watch.h"

#include <algorithm>
#include <ctime>

#include "cluster/containers_backend.h"
#include "cluster/hostfile.h"
#include "cluster/hosts.h"
#include "cluster/observed.h"
#include "cluster/spec.h"
#include "common/clock.h"
#include "common/guarded.h"
#include "common/log.h"
#include "common/strings.h"

namespace ppcs::cluster {
namespace {

constexpr std::size_t kEventsKept = 50;
constexpr auto kHealAttemptTimeout = std::chrono::seconds(60);
constexpr auto kFirstHealPause = std::chrono::milliseconds(500);
constexpr auto kMaxHealPause = std::chrono::milliseconds(30000);
constexpr int kPollTicks = 30;  // x 100 ms between two looks at the other hosts
// Looks between two checks of every cluster for members nobody verified (a replacement whose
// death notice this ppcsd missed: it died while ppcsd was starting, say).
constexpr int kPollsPerRecheck = 10;
// A hostfile line taken out while other writers keep changing the file: tries before giving up.
constexpr int kDropAttempts = 5;

// "demo_mpinode.3.k2j..." -> 3
int slotOfTask(const std::string& taskName) {
    auto parts = split(taskName, '.');
    return parts.size() >= 2 ? std::atoi(parts[1].c_str()) : 0;
}

Result<std::string> runningHead(docker::Engine& engine, const std::string& cluster) {
    auto heads = engine.listContainers(roleLabels(cluster, MemberRole::head), false);
    if (!heads) return heads.error();
    if (heads->empty()) return makeError(ErrorCode::notFound, "no running head");
    return heads->front().id;
}

// A host that joined since `up` may receive the replacement: give it the image first (a failure
// only slows healing down: Swarm rejects such a task and tries another host).
void copyImageToNewHosts(docker::Engine& engine, HostEngines& hosts, const ObservedCluster& observed) {
    if (!observed.registry().empty() || observed.backend == model::Backend::containers) return;  // pulled, or on this engine
    if (auto copied = ensureImageOnHosts(hosts, engine, observed.image(), [](model::Phase, const std::string&) {}); !copied)
        log::warn("cluster '" + observed.name + "': " + copied.error().message);
}

// One healing attempt's slow part: the swarm as it is now, the image where it may be needed,
// then every member verified (not yet in the hostfile).
Result<std::vector<Member>> verifyAgain(docker::Engine& engine, const ObservedCluster& observed, const Deadline& deadline) {
    auto hosts = observed.backend == model::Backend::containers ? HostEngines::localOnly(engine) : HostEngines::discover(engine);
    if (!hosts) return hosts.error();
    copyImageToNewHosts(engine, *hosts, observed);
    return verifyMembers(engine, *hosts, observed, observed.desiredNodes(), observed.slotsOverride(), deadline,
                         [](model::Phase, const std::string&) {});
}

// The containers backend's part of a heal, which Swarm does for services: every member container
// that ended is replaced by a new one in its slot. Returns the cluster as it is then.
Result<ObservedCluster> replaceDeadContainers(docker::Engine& engine, const ObservedCluster& observed) {
    if (observed.backend != model::Backend::containers) return observed;
    bool replaced = false;
    for (const auto& container : observed.containers) {
        // Only a container that ended: one just created is being started (by another ppcsd's
        // heal, say), and one that fails to start is removed by whoever created it.
        if (container.state != "exited" && container.state != "dead") continue;
        auto member = memberFromContainer(container, observed.name, observed.network->name);
        if (auto done = replaceContainersMember(engine, observed, member.role, member.taskSlot); !done)
            return done.error().context("replace " + member.hostname);
        replaced = true;
    }
    if (!replaced) return observed;
    return observeCluster(engine, observed.name);
}

// How many of the cluster's members are not verified in their current container (see
// markVerifiedMembers); notFound when the cluster is gone or incomplete.
Result<int> unverifiedMembers(docker::Engine& engine, const std::string& cluster) {
    auto observed = observeCluster(engine, cluster);
    if (!observed) return observed.error();
    if (!observed->complete()) return makeError(ErrorCode::notFound, "cluster '" + cluster + "' is gone or incomplete");
    auto members = currentMembers(engine, *observed);
    if (!members) return members.error();
    return markVerifiedMembers(engine, cluster, *members);
}

// Whether every member the cluster should have (its head and the node service's replicas) runs
// and is verified: what "healed" means. A member that died and whose replacement does not run
// yet has left the hostfile, so unverifiedMembers does not count it: the number must match too.
Result<bool> wholeAndVerified(docker::Engine& engine, const std::string& cluster) {
    auto observed = observeCluster(engine, cluster);
    if (!observed) return observed.error();
    if (!observed->complete()) return makeError(ErrorCode::notFound, "cluster '" + cluster + "' is gone or incomplete");
    auto members = currentMembers(engine, *observed);
    if (!members) return members.error();
    auto stale = markVerifiedMembers(engine, cluster, *members);
    if (!stale) return stale.error();
    bool allReady = std::all_of(members->begin(), members->end(), [](const Member& member) { return member.ready; });
    return *stale == 0 && allReady && static_cast<int>(members->size()) == observed->desiredNodes() + 1;
}

// The members' containers, in order.
std::vector<std::string> containerIds(const std::vector<Member>& members) {
    std::vector<std::string> ids;
    for (const auto& member : members) ids.push_back(member.containerId);
    return ids;
}

}  // namespace

void ClusterEvents::add(const std::string& cluster, const std::string& text) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        auto& list = events_[cluster];
        list.push_back(utcTimestamp() + " " + text);
        while (list.size() > kEventsKept) list.pop_front();
    }
    if (listener_) listener_(cluster);
}

std::vector<std::string> ClusterEvents::recent(const std::string& cluster, std::size_t count) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto found = events_.find(cluster);
    if (found == events_.end()) return {};
    auto start = found->second.size() > count ? found->second.end() - static_cast<long>(count) : found->second.begin();
    return std::vector<std::string>(start, found->second.end());
}

namespace {

// One read of the hostfile, hostname's line taken out, written back only if nobody changed the
// file since the read (conflict otherwise).
Result<HostfileDrop> dropOnce(docker::Engine& engine, const std::string& cluster, const std::string& headContainer,
                              const std::string& hostname, const std::string& deadContainer) {
    auto text = readHostfile(engine, headContainer);
    if (!text) return text.error();
    auto entries = parseHostfile(*text);
    if (!entries) return entries.error();
    HostfileDrop drop;
    std::vector<HostEntry> kept;
    for (const auto& entry : *entries) {
        bool named = entry.name == hostname;
        if (named && !deadContainer.empty() && !entry.container.empty() && !namesContainer(entry, deadContainer))
            drop.kind = HostfileDrop::Kind::otherContainer;
        if (named && drop.kind != HostfileDrop::Kind::otherContainer) {
            drop = {HostfileDrop::Kind::dropped, entry.address};
            continue;
        }
        kept.push_back(entry);
    }
    if (drop.kind != HostfileDrop::Kind::dropped) return drop;
    auto rendered = renderHostfile(cluster, kept);
    if (!rendered) return rendered.error();
    if (auto written = writeSharedFiles(engine, headContainer, {{TarEntry::Kind::file, "hostfile", *rendered, 0644}},
                                        UnchangedSince{"hostfile", *text});
        !written)
        return written.error();
    return drop;
}

}  // namespace

Result<HostfileDrop> dropFromHostfile(docker::Engine& engine, const std::string& cluster, const std::string& headContainer,
                                      const std::string& hostname, const std::string& deadContainer) {
    // Another writer (a scale of another ppcsd, say) may rewrite the file between the read and the
    // write: then it is read again, and the line may be gone already.
    auto drop = dropOnce(engine, cluster, headContainer, hostname, deadContainer);
    for (int attempt = 1; attempt < kDropAttempts && !drop && drop.error().code == ErrorCode::conflict; ++attempt)
        drop = dropOnce(engine, cluster, headContainer, hostname, deadContainer);
    if (!drop || drop->kind != HostfileDrop::Kind::dropped) return drop;
    // The reused connection to the dead container would hang the next ssh to its address. A
    // master that is already gone is what we want: the outcome does not matter.
    (void)engine.runExec(headContainer, {{"ssh", "-O", "exit", drop->address}, kMpiUser, {}, ""}, std::chrono::seconds(10));
    return drop;
}

void NodeWatcher::start() {
    follower_ = std::thread([this] { runGuarded("engine event watch", [this] { follow(); }); });
    poller_ = std::thread([this] { runGuarded("other hosts' poll", [this] { pollOtherHosts(); }); });
}

void NodeWatcher::stop() {
    stopping_ = true;
    if (follower_.joinable()) follower_.join();
    if (poller_.joinable()) poller_.join();
    std::map<std::string, std::thread> healers;
    {
        std::lock_guard<std::mutex> lock(healMutex_);
        healers.swap(healers_);
    }
    for (auto& [cluster, healer] : healers)
        if (healer.joinable()) healer.join();
}

void NodeWatcher::follow() {
    std::int64_t since = static_cast<std::int64_t>(std::time(nullptr));
    std::set<std::pair<std::string, std::int64_t>> seen;  // events replayed after a reconnect
    // Containers that die here, and swarm hosts that change state (a host going down takes its
    // containers with it without any "die" reaching this engine). Filters on different keys must
    // all match, so the ppcs.cluster label is checked in onDeath rather than in the filter.
    const std::map<std::string, std::vector<std::string>> filters{{"type", {"container", "node"}}, {"event", {"die", "update"}}};
    // The first connection looks too: ppcsd may start after the engine replaced members.
    EngineLink link = EngineLink::first;
    while (!stopping_) {
        auto engine = engines_();
        if (!engine) {
            link = EngineLink::lost;
            std::this_thread::sleep_for(std::chrono::seconds(1));
            continue;
        }
        // Until the clusters could be looked at, the link stays what it was: what a restarting
        // engine lost must not be forgotten because the first look found it still down (or its
        // swarm without a leader), and the next stream then only idled (an engine that accepts
        // connections before it serves them looks silent, not broken).
        if (link != EngineLink::steady && !recheckClusters(**engine, link == EngineLink::lost)) {
            std::this_thread::sleep_for(std::chrono::seconds(1));
            continue;
        }
        link = EngineLink::steady;
        // A short idle limit: the loop notices stop() within a second, then reconnects from `since`.
        auto followed = (*engine)->followEvents(filters, since, std::chrono::seconds(1), [&](const docker::EngineEvent& event) {
            if (!seen.insert({event.actorId, event.timeNano}).second) return !stopping_;
            if (seen.size() > 10000) seen.clear();
            since = std::max<std::int64_t>(since, event.timeNano / 1000000000);
            if (event.type == "node")
                onHostChange(event);
            else if (event.action == "die")
                onDeath(event);
            return !stopping_;
        });
        // A stream that broke (rather than idled) may mean a restarting engine: its events while
        // down are lost, so what it did meanwhile is found by looking.
        if (!followed && followed.error().code != ErrorCode::timeout) link = EngineLink::lost;
    }
}

bool NodeWatcher::recheckClusters(docker::Engine& engine, bool afterLoss) {
    auto names = listClusterNames(engine);
    if (!names) {
        log::warn("look at the clusters on the engine: " + names.error().message);
        return false;
    }
    for (const auto& cluster : *names) {
        if (healingNow(cluster) || locks_.tasksChanging(cluster)) continue;
        auto stale = unverifiedMembers(engine, cluster);
        // After a lost engine every cluster is suspect: Swarm may still list tasks whose containers
        // died with it, and an engine that has just come back lists its networks and secrets a
        // moment after its services (the cluster looks incomplete). Otherwise only what is stale is.
        if (!afterLoss && (!stale || *stale == 0)) continue;
        std::string why = afterLoss ? "the docker engine was unreachable"
                                    : "members run that nobody verified (replaced while this ppcsd was not looking)";
        events_.add(cluster, why + ": verifying every member again");
        log::warn("cluster '" + cluster + "': " + why + ": healing");
        scheduleHeal(cluster);
    }
    return true;
}

void NodeWatcher::onDeath(const docker::EngineEvent& event) {
    std::string cluster = event.attributes.count(kClusterLabel) ? event.attributes.at(kClusterLabel) : "";
    auto role = roleFromName(event.attributes.count(kRoleLabel) ? event.attributes.at(kRoleLabel) : "");
    if (cluster.empty() || !role) return;
    if (locks_.tasksChanging(cluster)) return;
    std::string task =
        event.attributes.count("com.docker.swarm.task.name") ? event.attributes.at("com.docker.swarm.task.name") : "";
    // A task's container has its slot in the task's name; a containers cluster's, in a label.
    int slot = !task.empty()                        ? slotOfTask(task)
               : event.attributes.count(kSlotLabel) ? std::atoi(event.attributes.at(kSlotLabel).c_str())
                                                    : 0;
    std::string hostname = memberHostname(cluster, *role, slot);
    std::string exitCode = event.attributes.count("exitCode") ? event.attributes.at("exitCode") : "?";
    auto engine = engines_();
    memberLost(engine && *role == MemberRole::node ? engine->get() : nullptr, cluster, hostname, "died (exit " + exitCode + ")",
               event.actorId);
}

void NodeWatcher::pollOtherHosts() {
    std::map<std::string, RemoteTasks> lastRunning;  // per cluster, its nodes running on other hosts
    for (int poll = 1; !stopping_; ++poll) {
        for (int tick = 0; tick < kPollTicks && !stopping_; ++tick) std::this_thread::sleep_for(std::chrono::milliseconds(100));
        if (stopping_) return;
        auto engine = engines_();
        if (!engine) continue;
        checkOtherHosts(**engine, lastRunning);
        if (poll % kPollsPerRecheck == 0) recheckClusters(**engine, false);
    }
}

void NodeWatcher::checkOtherHosts(docker::Engine& engine, std::map<std::string, RemoteTasks>& lastRunning) {
    auto info = engine.info();
    auto nodes = engine.listNodes();
    auto services = engine.listServices({{kRoleLabel, "node"}});
    if (!info || !nodes || !services) return;
    std::set<std::string> readyHosts;  // other hosts that are up: a host going down is onHostChange's
    for (const auto& node : *nodes)
        if (node.id != info->swarmNodeId && node.state == "ready") readyHosts.insert(node.id);
    std::map<std::string, RemoteTasks> seen;  // clusters gone since the last look are forgotten
    for (const auto& service : *services) {
        auto label = service.labels.find(kClusterLabel);
        if (label == service.labels.end() || locks_.tasksChanging(label->second)) continue;
        const std::string& cluster = label->second;
        auto tasks = engine.listTasks({{"service", {service.id}}, {"desired-state", {"running"}}});
        if (!tasks) continue;
        RemoteTasks now{service.id, service.version, {}};
        for (const auto& task : *tasks)
            if (task.state == "running" && readyHosts.count(task.nodeId))
                now.running[task.id] = RemoteTask{task.slot, task.nodeId};
        auto previous = lastRunning.find(cluster);
        // The same service at the same spec version: a task gone is a loss, not a scale or a new cluster.
        if (previous != lastRunning.end() && previous->second.serviceId == service.id &&
            previous->second.version == service.version)
            for (const auto& [id, task] : previous->second.running)
                if (!now.running.count(id) && readyHosts.count(task.nodeId))
                    memberLost(&engine, cluster, memberHostname(cluster, MemberRole::node, task.slot), "stopped on another host");
        seen[cluster] = std::move(now);
    }
    lastRunning = std::move(seen);
}

void NodeWatcher::memberLost(docker::Engine* engine, const std::string& cluster, const std::string& hostname,
                             const std::string& why, const std::string& deadContainer) {
    lossDuringHeal(cluster);
    NodeLoss loss{cluster, hostname, "", ""};
    auto head = engine ? runningHead(*engine, cluster) : Result<std::string>(std::string());
    // The hostfile is edited under the cluster's lock (a heal in progress gives way), beside a job
    // if one runs: the job has its own hostfile.
    auto held = head && !head->empty() ? locks_.acquire(cluster, model::ClusterOperation::heal)
                                       : Result<OperationLocks::Held>(makeError(ErrorCode::notFound, "no running head"));
    if (held) {
        auto dropped = dropFromHostfile(*engine, cluster, *head, hostname, deadContainer);
        if (dropped && dropped->kind == HostfileDrop::Kind::otherContainer) {
            // Reported late (a restarted engine cleaning up): its replacement is already verified.
            log::info("cluster '" + cluster + "': an old container of " + hostname + " " + why +
                      ": no loss, its replacement is in the hostfile");
            return;
        }
        if (dropped)
            loss.address = dropped->address;
        else
            log::warn("drop " + hostname + " from the hostfile: " + dropped.error().message);
    } else if (head && !head->empty()) {
        log::warn("cluster '" + cluster + "': " + hostname + " stays in the hostfile until the heal: " + held.error().message);
    }
    events_.add(cluster, hostname + (loss.address.empty() ? "" : " (" + loss.address + ")") + " " + why +
                             ": out of the hostfile until its replacement is ready");
    log::warn("cluster '" + cluster + "': " + hostname + " " + why);
    onLoss_(loss);
    scheduleHeal(cluster);
}

void NodeWatcher::onHostChange(const docker::EngineEvent& event) {
    auto state = event.attributes.find("state.new");
    if (state == event.attributes.end() || state->second != "down") return;
    std::string host = event.attributes.count("name") ? event.attributes.at("name") : event.actorId.substr(0, 12);
    auto engine = engines_();
    if (!engine) return;
    auto services = (*engine)->listServices({{kClusterLabel, ""}});
    auto tasks = (*engine)->listTasks({{"node", {event.actorId}}});
    if (!services || !tasks) return;
    std::set<std::string> clusters;
    for (const auto& task : *tasks)
        for (const auto& service : *services)
            if (service.id == task.serviceId && service.labels.count(kClusterLabel))
                clusters.insert(service.labels.at(kClusterLabel));
    for (const auto& cluster : clusters) {
        if (locks_.tasksChanging(cluster)) continue;
        events_.add(cluster, "docker host " + host + " is down: its members are out until swarm has replaced them elsewhere");
        log::warn("cluster '" + cluster + "': docker host " + host + " is down");
        onLoss_(NodeLoss{cluster, "", "", host});
        scheduleHeal(cluster);
    }
}

bool NodeWatcher::healingNow(const std::string& cluster) {
    std::lock_guard<std::mutex> lock(healMutex_);
    return healing_.count(cluster) > 0;
}

void NodeWatcher::lossDuringHeal(const std::string& cluster) {
    std::lock_guard<std::mutex> lock(healMutex_);
    auto healing = healing_.find(cluster);
    if (healing != healing_.end()) healing->second = true;
}

void NodeWatcher::scheduleHeal(const std::string& cluster) {
    std::lock_guard<std::mutex> lock(healMutex_);
    auto healing = healing_.find(cluster);
    if (healing != healing_.end()) {
        healing->second = true;
        return;
    }
    healing_[cluster] = false;
    // One thread per cluster at most: the one of an earlier heal, no longer in healing_, has
    // returned or is returning without needing healMutex_ again.
    auto& healer = healers_[cluster];
    if (healer.joinable()) healer.join();
    healer = std::thread([this, cluster] { runGuarded("heal '" + cluster + "'", [this, &cluster] { heal(cluster); }); });
}

bool NodeWatcher::takeLossNotice(const std::string& cluster) {
    std::lock_guard<std::mutex> lock(healMutex_);
    bool lost = healing_[cluster];
    healing_[cluster] = false;
    return lost;
}

NodeWatcher::HealAttempt NodeWatcher::healOnce(const std::string& cluster) {
    // While replacements start and are verified, the heal holds the cluster in this process only,
    // shared with a job (which runs on the ready members meanwhile); up, scale, down and a hostfile
    // edit make it give way (yieldRequested ends its wait) and come back later. The lease, which
    // keeps other ppcsd out, is taken only to write the hostfile.
    auto held =
        locks_.acquire(cluster, model::ClusterOperation::heal, std::chrono::milliseconds(0), OperationLocks::LeaseTaking::later);
    if (!held) return {HealAttempt::Kind::busy, held.error().message};
    auto engine = engines_();
    if (!engine) return {HealAttempt::Kind::failed, engine.error().message};
    auto observed = observeCluster(**engine, cluster);
    if (!observed) return {HealAttempt::Kind::failed, observed.error().message};
    if (!observed->exists()) return {HealAttempt::Kind::gone, ""};  // taken down meanwhile
    // Being taken down, or an engine just back that does not list every part yet: looked at again.
    if (!observed->complete())
        return {HealAttempt::Kind::failed, "cluster '" + cluster + "' is incomplete (missing " + observed->missingParts() + ")"};
    (void)takeLossNotice(cluster);  // what was lost until now, this attempt sees
    auto replaced = replaceDeadContainers(**engine, *observed);
    if (!replaced) return {HealAttempt::Kind::failed, replaced.error().message};
    *observed = std::move(*replaced);
    // Swarm may still list a dead task as running for a moment: a failed attempt is retried.
    Deadline attemptDeadline{std::chrono::steady_clock::now() + kHealAttemptTimeout, &stopping_, held->yieldRequested()};
    auto members = verifyAgain(**engine, *observed, attemptDeadline);
    if (held->yieldRequested()->load()) return {HealAttempt::Kind::busy, "gave way to another request on the cluster"};
    if (!members) return {HealAttempt::Kind::failed, members.error().message};
    if (auto leased = locks_.takeLease(*held); !leased) return {HealAttempt::Kind::busy, leased.error().message};
    return publishVerified(**engine, *observed, *members);
}

NodeWatcher::HealAttempt NodeWatcher::publishVerified(docker::Engine& engine, const ObservedCluster& observed,
                                                      std::vector<Member>& members) {
    const std::string& cluster = observed.name;
    // A member lost while the others were verified would be written back: go round instead.
    if (takeLossNotice(cluster)) return {HealAttempt::Kind::busy, "another member was lost meanwhile"};
    // The hostfile before the members are compared: it is written only if nobody (another ppcsd's
    // scale, say) changed it after this read.
    if (members.empty()) return {HealAttempt::Kind::failed, "no head among the verified members"};
    auto before = readHostfile(engine, members.front().containerId);
    if (!before) return {HealAttempt::Kind::failed, before.error().message};
    // Another ppcsd may have changed the cluster, or healed it, while this one verified.
    auto now = currentMembers(engine, observed);
    if (!now) return {HealAttempt::Kind::failed, now.error().message};
    if (containerIds(*now) != containerIds(members))
        return {HealAttempt::Kind::busy, "its members changed while they were verified"};
    auto stale = markVerifiedMembers(engine, cluster, *now);
    bool listed =
        stale && *stale == 0 && std::all_of(now->begin(), now->end(), [](const Member& member) { return member.ready; });
    if (!listed)
        if (auto published = publishHostfile(engine, cluster, members, UnchangedSince{"hostfile", *before}); !published)
            return {published.error().code == ErrorCode::conflict ? HealAttempt::Kind::busy : HealAttempt::Kind::failed,
                    published.error().message};
    std::lock_guard<std::mutex> lock(healMutex_);
    if (healing_[cluster]) return {HealAttempt::Kind::busy, "another member was lost meanwhile"};
    events_.add(cluster, listed ? "healed by another ppcsd: every member verified"
                                : "replacement ready: head + " + std::to_string(members.size() - 1) +
                                      " nodes verified, hostfile rewritten");
    healing_.erase(cluster);
    return {HealAttempt::Kind::healed, ""};
}

void NodeWatcher::heal(const std::string& cluster) {
    // Retried for as long as the cluster exists and ppcsd runs, with a growing pause; each
    // failure is an event in `status`, a wait for another operation only its first time.
    auto pause = kFirstHealPause;
    std::string waitingFor;
    std::int64_t noticedMs = unixMillisNow();
    for (int attempt = 1; !stopping_; ++attempt) {
        // Every ppcsd on the engine sees the loss: the first to take the lease heals, the others
        // leave it, once the cluster is verified again (should that ppcsd fail or die, its
        // lease expires and this one heals).
        // Another ppcsd's heal lease may be only its dropping the dead member from the hostfile:
        // left to it only once the cluster is whole again, else this one heals too (and finds
        // it healed, publishVerified, should the other finish first).
        if (auto engine = engines_(); engine && healedByAnother(**engine, cluster, noticedMs)) {
            auto whole = wholeAndVerified(**engine, cluster);
            if (whole && *whole) events_.add(cluster, "healed by another ppcsd: every member verified");
            if (!whole || *whole) break;
        }
        auto outcome = healOnce(cluster);
        if (outcome.kind == HealAttempt::Kind::healed) return;
        if (outcome.kind == HealAttempt::Kind::gone) break;
        if (outcome.kind == HealAttempt::Kind::failed) {
            events_.add(cluster, "healing attempt " + std::to_string(attempt) + " failed (" + outcome.why + "): next in " +
                                     std::to_string(std::chrono::duration_cast<std::chrono::seconds>(pause).count()) + " s");
            log::warn("cluster '" + cluster + "': healing attempt " + std::to_string(attempt) + " failed: " + outcome.why);
            pause = std::min(pause * 2, kMaxHealPause);
        } else if (outcome.why != waitingFor) {
            waitingFor = outcome.why;
            events_.add(cluster, "healing waits: " + outcome.why);
        }
        for (auto waited = std::chrono::milliseconds(0); waited < pause && !stopping_; waited += std::chrono::milliseconds(100))
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    std::lock_guard<std::mutex> lock(healMutex_);
    healing_.erase(cluster);
}

}  // namespace ppcs::cluster
