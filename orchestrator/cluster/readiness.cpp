#include "cluster/readiness.h"

#include <algorithm>
#include <condition_variable>
#include <cstdlib>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "cluster/cluster_files.h"
#include "cluster/hostfile.h"
#include "cluster/hosts.h"
#include "cluster/spec.h"
#include "common/strings.h"
#include "common/tar.h"
#include "common/token.h"

namespace ppcs::cluster {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kPollInterval = std::chrono::milliseconds(100);
// Members verified at once: each is an ssh handshake from the head (about 0.25 s of CPU).
constexpr std::size_t kParallelVerifications = 16;
constexpr auto kSshRetry = std::chrono::milliseconds(200);
constexpr const char* kIncomingSuffix = ".ppcs-incoming";

std::string describe(const Member& member) {
    return member.role == MemberRole::head ? "head" : "node " + std::to_string(member.taskSlot);
}

bool isUp(const Member& member) { return member.state == "running" && !member.address.empty() && !member.containerId.empty(); }

// A short description of every member that is not up (and of tasks not even scheduled).
std::string laggingTasks(const std::vector<Member>& members, int nodes) {
    std::vector<std::string> missing;
    for (const auto& member : members)
        if (!isUp(member))
            missing.push_back(describe(member) + " (" + member.state + (member.message.empty() ? "" : ": " + member.message) +
                              ")");
    if (static_cast<int>(members.size()) < nodes + 1)
        missing.push_back(std::to_string(nodes + 1 - members.size()) + " task(s) not even scheduled");
    return join(missing, ", ");
}

// From the head: the ed25519 host keys that sshd on each address offers ("ADDRESS KEYTYPE KEY" lines).
Result<std::map<std::string, std::string>> scanHostKeys(docker::Engine& engine, const std::string& headContainer,
                                                        const std::vector<std::string>& addresses) {
    std::vector<std::string> argv{"ssh-keyscan", "-T", "5", "-t", "ed25519"};
    argv.insert(argv.end(), addresses.begin(), addresses.end());
    auto outcome = engine.runExec(headContainer, {argv, kMpiUser, {}, ""}, std::chrono::seconds(60));
    if (!outcome) return outcome.error().context("scan host keys from the head");
    std::map<std::string, std::string> keys;
    for (const auto& line : split(outcome->out, '\n')) {
        auto space = line.find(' ');
        if (line.empty() || line.front() == '#' || space == std::string::npos) continue;
        keys[line.substr(0, space)] = std::string(trim(line.substr(space + 1)));
    }
    return keys;
}

// One try at the member's ed25519 host key: read through its host's engine (the entrypoint makes
// it at start), or, on a host ppcsd cannot reach, scanned from the head over the cluster's overlay
// network (the only path there). Nothing (and why in *notYet) while the key is not there yet; an
// error only when it never will be.
Result<std::optional<KnownHost>> tryHostKey(docker::Engine& local, HostEngines& hosts, const Member& member,
                                            const std::string& headContainer, std::string* notYet) {
    if (auto* engine = hosts.engineFor(member.dockerHostId)) {
        auto key = engine->runExec(member.containerId, {{"cat", "/etc/ssh/ssh_host_ed25519_key.pub"}, "root", {}, ""});
        if (key && key->exitCode == 0 && !trim(key->out).empty())
            return std::optional<KnownHost>(KnownHost{member.address, member.hostname, std::string(trim(key->out))});
        // A container that stopped (a task Swarm has not yet marked failed) will never answer.
        if (!key && (key.error().code == ErrorCode::conflict || key.error().code == ErrorCode::notFound))
            return makeError(ErrorCode::unavailable, describe(member) + " is not running: " + key.error().message);
        *notYet = "has no ssh host key" + (key ? std::string() : ": " + key.error().message);
        return std::optional<KnownHost>();
    }
    auto scanned = scanHostKeys(local, headContainer, {member.address});
    if (!scanned) return scanned.error();
    auto key = scanned->find(member.address);
    *notYet = "offered no ssh host key (scanned from the head)";
    if (key == scanned->end()) return std::optional<KnownHost>();
    return std::optional<KnownHost>(KnownHost{member.address, member.hostname, key->second});
}

// From the head, as mpiuser: whether the member's sshd accepts the cluster key, its host key
// checked strictly against the one collected (the shared known_hosts is written once, when every
// member is verified). The connection stays open as the member's ControlMaster for later mpiruns.
Result<bool> sshAccepts(docker::Engine& engine, const std::string& headContainer, const Member& member, const KnownHost& key) {
    std::vector<std::string> argv{"sh", "-c",
                                  "f=$(mktemp) || exit 2; printf '%s' \"$PPCS_KNOWN_HOST\" >\"$f\"; "
                                  "ssh -o BatchMode=yes -o ConnectTimeout=5 -o StrictHostKeyChecking=yes "
                                  "-o UserKnownHostsFile=/dev/null -o GlobalKnownHostsFile=\"$f\" \"$1\" true "
                                  "</dev/null >/dev/null 2>&1; rc=$?; rm -f \"$f\"; exit $rc",
                                  "ppcs-verify", member.address};
    auto outcome = engine.runExec(headContainer, {argv, kMpiUser, {"PPCS_KNOWN_HOST=" + renderKnownHosts({key})}, ""},
                                  std::chrono::seconds(60));
    if (!outcome) return outcome.error().context("verify ssh from the head to " + describe(member));
    return outcome->exitCode == 0;
}

// One member from "its task runs" to "its sshd accepts the cluster key from the head": its host
// key collected, then ssh tried until it answers. Retried until expired() (then a timeout error
// naming the member and where it stopped).
Result<KnownHost> verifyMember(docker::Engine& local, HostEngines& hosts, const Member& member, const std::string& headContainer,
                               const std::function<bool()>& expired) {
    std::optional<KnownHost> key;
    std::string notYet;
    while (!key) {
        auto tried = tryHostKey(local, hosts, member, headContainer, &notYet);
        if (!tried) return tried.error();
        key = *tried;
        if (key) break;
        if (expired()) return makeError(ErrorCode::timeout, describe(member) + " " + notYet);
        std::this_thread::sleep_for(kPollInterval);
    }
    while (true) {
        auto accepted = sshAccepts(local, headContainer, member, *key);
        if (!accepted) return accepted.error();
        if (*accepted) return *key;
        if (expired())
            return makeError(ErrorCode::timeout,
                             describe(member) + " (" + member.address + "): sshd did not accept the cluster key from the head");
        std::this_thread::sleep_for(kSshRetry);
    }
}

// Every member verified as soon as its task runs, while the others are still starting: one
// verification (host key, then ssh from the head) per member's container and head container,
// at most kParallelVerifications at a time. A replaced container is verified anew, its old verification
// forgotten.
class ReadinessPipeline {
public:
    ReadinessPipeline(docker::Engine& engine, HostEngines& hosts, const Deadline& deadline)
        : engine_(engine), hosts_(hosts), deadline_(deadline) {}
    ReadinessPipeline(const ReadinessPipeline&) = delete;
    ReadinessPipeline& operator=(const ReadinessPipeline&) = delete;
    ~ReadinessPipeline() { stopAll(); }

    // Starts the verification of every member that is up and not yet (being) verified, given a
    // running head. A verification of a container (or under a head) no longer among members gives
    // up at its next try: a replaced container never holds a place meant for the others.
    void startNew(const std::vector<Member>& members) {
        std::lock_guard<std::mutex> lock(mutex_);
        wanted_.clear();
        if (members.empty() || members.front().role != MemberRole::head || !isUp(members.front())) return;
        const std::string& head = members.front().containerId;
        for (const auto& member : members)
            if (isUp(member)) wanted_.insert({member.containerId, head});
        for (const auto& member : members) {
            auto key = std::make_pair(member.containerId, head);
            if (!isUp(member) || running_ >= kParallelVerifications || !startable(key)) continue;
            ++running_;
            verifications_[key].done = std::async(std::launch::async, [this, member, key] {
                auto verified = verifyMember(engine_, hosts_, member, key.second, [this, &key] { return givenUp(key); });
                std::lock_guard<std::mutex> lock(mutex_);
                ++finished_;
                --running_;
                finishedNow_.notify_all();
                return verified;
            });
        }
    }

    // The result of members[i]'s verification: nothing while it runs (or has not started).
    const Result<KnownHost>* resultFor(const std::vector<Member>& members, std::size_t i) {
        auto found = verifications_.find({members[i].containerId, members.front().containerId});
        if (found == verifications_.end()) return nullptr;
        auto& verification = found->second;
        if (!verification.result && verification.done.valid() &&
            verification.done.wait_for(std::chrono::seconds(0)) == std::future_status::ready)
            verification.result = verification.done.get();
        return verification.result ? &*verification.result : nullptr;
    }

    // Sleeps until a verification finishes or the poll interval passed.
    void waitForNews() {
        std::unique_lock<std::mutex> lock(mutex_);
        finishedNow_.wait_for(lock, kPollInterval, [this] { return finished_ != seen_; });
        seen_ = finished_;
    }

    // Ends every verification still running and waits for them.
    void stopAll() {
        stop_ = true;
        for (auto& [key, verification] : verifications_)
            if (!verification.result && verification.done.valid()) verification.result = verification.done.get();
    }

private:
    using Key = std::pair<std::string, std::string>;  // (member, head) container
    struct Verification {
        std::future<Result<KnownHost>> done;
        std::optional<Result<KnownHost>> result;
    };

    // Whether key needs a verification: none yet, or one that gave up while the member was
    // briefly not up (before the deadline). Needs the polling thread.
    bool startable(const Key& key) {
        auto found = verifications_.find(key);
        if (found == verifications_.end()) return true;
        auto& verification = found->second;
        if (!verification.result && verification.done.wait_for(std::chrono::seconds(0)) != std::future_status::ready)
            return false;
        if (!verification.result) verification.result = verification.done.get();
        bool gaveUp =
            !*verification.result && verification.result->error().code == ErrorCode::timeout && !deadline_.passed() && !stop_;
        if (gaveUp) verifications_.erase(found);
        return gaveUp;
    }

    bool givenUp(const Key& key) {
        if (deadline_.passed() || stop_) return true;
        std::lock_guard<std::mutex> lock(mutex_);
        return !wanted_.count(key);
    }

    docker::Engine& engine_;
    HostEngines& hosts_;
    const Deadline& deadline_;
    std::atomic<bool> stop_{false};
    std::map<Key, Verification> verifications_;  // only the polling thread touches it
    std::mutex mutex_;                           // guards what follows
    std::set<Key> wanted_;                       // the members up at the last poll
    std::size_t running_ = 0;
    std::condition_variable finishedNow_;
    std::uint64_t finished_ = 0;
    std::uint64_t seen_ = 0;
};

// The members and their host keys once the head and `nodes` nodes all run and each is verified.
struct VerifiedMembers {
    std::vector<Member> members;
    std::vector<KnownHost> keys;  // members' order
};

Result<VerifiedMembers> verifyAsTheyStart(docker::Engine& engine, HostEngines& hosts, const ObservedCluster& cluster, int nodes,
                                          const Deadline& deadline, const Progress& progress) {
    ReadinessPipeline pipeline(engine, hosts, deadline);
    int lastRunning = -1;
    std::size_t lastVerified = 0;
    while (true) {
        auto members = currentMembers(engine, cluster);
        if (!members) return members.error();
        int upNodes = static_cast<int>(std::count_if(members->begin(), members->end(), [](const Member& member) {
            return member.role != MemberRole::head && isUp(member);
        }));
        bool headUp = !members->empty() && members->front().role == MemberRole::head && isUp(members->front());
        if (upNodes != lastRunning)
            progress(Phase::tasks,
                     std::to_string(upNodes) + "/" + std::to_string(nodes) + " nodes running" + (headUp ? ", head running" : ""));
        lastRunning = upNodes;
        pipeline.startNew(*members);
        bool allUp = headUp && upNodes == nodes && static_cast<int>(members->size()) == nodes + 1;
        VerifiedMembers verified{*members, {}};
        std::vector<std::string> unverified;
        for (std::size_t i = 0; i < members->size(); ++i) {
            const auto* result = pipeline.resultFor(*members, i);
            if (result && !*result && result->error().code != ErrorCode::timeout) return result->error();
            if (result && *result)
                verified.keys.push_back(**result);
            else
                unverified.push_back(result ? result->error().message : describe((*members)[i]) + " (verification not finished)");
        }
        if (verified.keys.size() != lastVerified && verified.keys.size() < members->size())
            progress(Phase::ssh, std::to_string(verified.keys.size()) + "/" + std::to_string(nodes + 1) + " members verified");
        lastVerified = verified.keys.size();
        if (allUp && unverified.empty()) return verified;
        if (deadline.passed()) {
            if (!allUp) return makeError(ErrorCode::timeout, "tasks not running in time: " + laggingTasks(*members, nodes));
            // Each verification still running ends now with a timeout naming its member.
            pipeline.stopAll();
            unverified.clear();
            for (std::size_t i = 0; i < members->size(); ++i)
                if (const auto* result = pipeline.resultFor(*members, i); !result || !*result)
                    unverified.push_back(result ? result->error().message : describe((*members)[i]));
            return makeError(ErrorCode::timeout, "members not verified in time: " + join(unverified, ", "));
        }
        pipeline.waitForNews();
    }
}

// Slots per member, and whether ranks on some host outnumber its cores.
bool assignSlots(const std::vector<docker::SwarmNode>& nodes, std::vector<Member>& members, int slotsOverride) {
    std::map<std::string, int> hostCpus;
    for (const auto& node : nodes) hostCpus[node.id] = static_cast<int>(std::max<std::int64_t>(1, node.nanoCpus / 1000000000));
    // A host the swarm did not describe is taken to be this one.
    auto cpusOf = [&hostCpus](const std::string& host) {
        auto known = hostCpus.find(host);
        return known != hostCpus.end() ? known->second : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    };
    std::map<std::string, int> ranksOnHost;
    for (auto& member : members) {
        member.mpiSlots = slotsOverride > 0 ? slotsOverride : cpusOf(member.dockerHostId);
        ranksOnHost[member.dockerHostId] += member.mpiSlots;
    }
    for (const auto& [host, ranks] : ranksOnHost)
        if (ranks > cpusOf(host)) return true;
    return false;
}

}  // namespace

Status replicateSharedFiles(docker::Engine& engine, const std::vector<Member>& members, const std::vector<std::string>& paths) {
    if (members.empty() || members.front().role != MemberRole::head)
        return makeError(ErrorCode::failed, "replicate shared files: no head");
    std::set<std::string> hostsSeen{members.front().dockerHostId};
    std::string peers;
    for (const auto& member : members)
        if (!member.address.empty() && hostsSeen.insert(member.dockerHostId).second)
            peers += (peers.empty() ? "" : " ") + member.address;
    if (peers.empty()) return {};
    // Peers are IPv4 addresses from the engine; paths are positional arguments of a fixed script.
    std::vector<std::string> argv{"sh", "-c",
                                  "cd " + std::string(kSharedDir) +
                                      " || exit 1; "
                                      "for p do [ -e \"$p\" ] || { echo \"(no $p on the head)\"; exit 1; }; done; "
                                      "for ip in $PPCS_PEERS; do "
                                      "(tar -cf - -- \"$@\" | ssh -o BatchMode=yes \"$ip\" tar -xpf - -C " +
                                      std::string(kSharedDir) + " || echo \"$ip\") & done; wait",
                                  "ppcs-replicate"};
    argv.insert(argv.end(), paths.begin(), paths.end());
    auto outcome =
        engine.runExec(members.front().containerId, {argv, kMpiUser, {"PPCS_PEERS=" + peers}, ""}, std::chrono::seconds(300));
    if (!outcome) return outcome.error().context("copy shared files to the other hosts");
    if (!trim(outcome->out).empty() || outcome->exitCode != 0)
        return makeError(ErrorCode::failed, "copy shared files to the other hosts: failed for " +
                                                std::string(trim(outcome->out)) + " " + std::string(trim(outcome->err)));
    return {};
}

namespace {

// sh -c SCRIPT ppcs-install SUFFIX EXPECTED PATH...: under the shared folder's install lock, each
// PATH+SUFFIX renamed to PATH; with EXPECTED (a path, else empty) only while that file still holds
// what EXPECTED+SUFFIX.was holds (a missing file reads as empty), else exit 3 and nothing installed.
constexpr const char* kInstallScript =
    "incoming=$1 expected=$2; shift 2; "
    "mkdir -p .ppcs && exec 9>>.ppcs/install.lock && flock 9 || exit 1; "
    "if [ -n \"$expected\" ]; then "
    "was=$expected$incoming.was; "
    "if ! cat -- \"$expected\" 2>/dev/null | cmp -s -- \"$was\" -; then "
    "rm -f -- \"$was\"; for p do rm -f -- \"$p$incoming\"; done; exit 3; fi; "
    "rm -f -- \"$was\"; fi; "
    "for p do mv -f -- \"$p$incoming\" \"$p\" || exit 1; done";
constexpr int kInstallChangedMeanwhile = 3;

}  // namespace

Status writeSharedFiles(docker::Engine& engine, const std::string& headContainer, const std::vector<TarEntry>& files,
                        const std::optional<UnchangedSince>& unchanged) {
    // Each file lands beside its place under a temporary name, then one rename puts it there: a
    // job's mpirun or ssh reading the hostfile or known_hosts meanwhile sees the old or the new
    // file, never a missing or half-written one. The temporary name is this write's own: two
    // ppcsd healing one cluster at once each rename their own files (the last one stays).
    auto token = generateToken();
    if (!token) return token.error().context("install shared files");
    std::string incoming = std::string(kIncomingSuffix) + "-" + token->substr(0, 16);
    TarWriter tar;
    std::vector<std::string> argv{"sh", "-c", kInstallScript, "ppcs-install", incoming, unchanged ? unchanged->path : ""};
    if (unchanged)
        if (auto added = tar.add({TarEntry::Kind::file, unchanged->path + incoming + ".was", unchanged->content, 0600}); !added)
            return added;
    bool anyFile = false;
    for (auto file : files) {
        if (file.kind == TarEntry::Kind::file) {
            anyFile = true;
            argv.push_back(file.path);
            file.path += incoming;
        }
        if (auto added = tar.add(file); !added) return added;
    }
    if (auto put = engine.putArchive(headContainer, kSharedDir, tar.finish()); !put) return put;
    if (!anyFile && !unchanged) return {};
    auto moved = engine.runExec(headContainer, {argv, "root", {}, kSharedDir}, std::chrono::seconds(30));
    if (!moved) return moved.error().context("install shared files");
    if (moved->exitCode == kInstallChangedMeanwhile)
        return makeError(ErrorCode::conflict, "install shared files: " + unchanged->path + " changed since it was read");
    if (moved->exitCode != 0) return makeError(ErrorCode::failed, "install shared files: " + std::string(trim(moved->err)));
    return {};
}

Member memberFromTask(const docker::TaskInfo& task, const std::string& cluster, bool isHead, const std::string& networkId) {
    Member member;
    member.role = isHead ? MemberRole::head : MemberRole::node;
    member.taskSlot = isHead ? 0 : task.slot;
    member.hostname = memberHostname(cluster, member.role, member.taskSlot);
    member.state = task.state;
    member.message = task.error.empty() ? task.message : task.error;
    member.containerId = task.containerId;
    member.dockerHostId = task.nodeId;
    auto addresses = networkId.empty() ? task.addresses.begin() : task.addresses.find(networkId);
    if (addresses != task.addresses.end() && !addresses->second.empty())
        member.address = addresses->second.front().substr(0, addresses->second.front().find('/'));
    return member;
}

void sortMembers(std::vector<Member>& members) {
    std::sort(members.begin(), members.end(), [](const Member& a, const Member& b) {
        return std::make_pair(a.role != MemberRole::head, a.taskSlot) < std::make_pair(b.role != MemberRole::head, b.taskSlot);
    });
}

Member memberFromContainer(const docker::ContainerSummary& container, const std::string& cluster, const std::string& network) {
    Member member;
    bool head = labelValue(container.labels, kRoleLabel) == roleName(MemberRole::head);
    member.role = head ? MemberRole::head : MemberRole::node;
    member.taskSlot = head ? 0 : std::atoi(labelValue(container.labels, kSlotLabel).c_str());
    member.hostname = memberHostname(cluster, member.role, member.taskSlot);
    member.state = container.state;
    if (container.state != "running") member.message = container.status;
    member.containerId = container.id;
    if (auto address = container.addresses.find(network); address != container.addresses.end()) member.address = address->second;
    return member;
}

Result<std::vector<Member>> currentMembers(docker::Engine& engine, const ObservedCluster& cluster) {
    if (!cluster.complete())
        return makeError(ErrorCode::notFound,
                         "cluster '" + cluster.name + "' is incomplete (missing " + cluster.missingParts() + ")");
    if (cluster.backend == model::Backend::containers) {
        auto containers = engine.listContainers(containersBackendLabels(cluster.name), true);
        if (!containers) return containers.error().context("list the containers of cluster '" + cluster.name + "'");
        std::vector<Member> members;
        for (const auto& container : *containers)
            members.push_back(memberFromContainer(container, cluster.name, cluster.network->name));
        sortMembers(members);
        return members;
    }
    auto tasks =
        engine.listTasks({{"service", {cluster.headService->id, cluster.nodeService->id}}, {"desired-state", {"running"}}});
    if (!tasks) return tasks.error().context("list the tasks of cluster '" + cluster.name + "'");
    std::vector<Member> members;
    for (const auto& task : *tasks)
        members.push_back(memberFromTask(task, cluster.name, task.serviceId == cluster.headService->id, cluster.network->id));
    sortMembers(members);
    return members;
}

namespace {

// The MPI settings and the shared known_hosts of verified members (given their slots).
std::vector<TarEntry> settingsFiles(const ObservedCluster& cluster, const std::vector<KnownHost>& keys, bool oversubscribed) {
    return {
        {TarEntry::Kind::directory, ".ppcs", "", 0755},
        {TarEntry::Kind::file, ".ppcs/mca-params.conf", renderMcaParams(cluster.name, {cluster.subnet(), oversubscribed}), 0644},
        {TarEntry::Kind::file, ".ppcs/known_hosts", renderKnownHosts(keys), 0644}};
}

// Writes files (the hostfile among them, when given) into the shared folder through the head,
// copies the settings and those files to the other hosts, and marks members ready.
Status publishFiles(docker::Engine& engine, std::vector<Member>& members, const std::vector<TarEntry>& files,
                    const std::optional<UnchangedSince>& unchanged = std::nullopt) {
    if (members.empty() || members.front().role != MemberRole::head)
        return makeError(ErrorCode::failed, "write the hostfile: no head");
    if (auto written = writeSharedFiles(engine, members.front().containerId, files, unchanged); !written)
        return written.error().context("write the hostfile");
    // The volume is local to each host: the other hosts' members read the MPI settings from theirs.
    if (auto copied = replicateSharedFiles(engine, members, {".ppcs", "hostfile"}); !copied) return copied.error();
    for (auto& member : members) member.ready = true;
    return {};
}

}  // namespace

Result<std::vector<Member>> verifyMembers(docker::Engine& engine, HostEngines& hosts, const ObservedCluster& cluster, int nodes,
                                          int slotsOverride, const Deadline& deadline, const Progress& progress) {
    auto verified = verifyAsTheyStart(engine, hosts, cluster, nodes, deadline, progress);
    if (!verified) return verified.error();
    bool oversubscribed = assignSlots(hosts.nodes(), verified->members, slotsOverride);
    if (auto written = writeSharedFiles(engine, verified->members.front().containerId,
                                        settingsFiles(cluster, verified->keys, oversubscribed));
        !written)
        return written.error().context("write the cluster's settings");
    return std::move(verified->members);
}

Result<std::string> renderMembersHostfile(const std::string& cluster, const std::vector<Member>& members) {
    std::vector<HostEntry> entries;
    for (const auto& member : members) entries.push_back({member.address, member.mpiSlots, member.hostname, member.containerId});
    return renderHostfile(cluster, entries);
}

Status publishHostfile(docker::Engine& engine, const std::string& cluster, std::vector<Member>& members,
                       const std::optional<UnchangedSince>& unchanged) {
    auto hostfile = renderMembersHostfile(cluster, members);
    if (!hostfile) return hostfile.error();
    return publishFiles(engine, members, {{TarEntry::Kind::file, "hostfile", *hostfile, 0644}}, unchanged);
}

Result<std::vector<Member>> makeReady(docker::Engine& engine, HostEngines& hosts, const ObservedCluster& cluster, int nodes,
                                      int slotsOverride, const Deadline& deadline, const Progress& progress) {
    auto verified = verifyAsTheyStart(engine, hosts, cluster, nodes, deadline, progress);
    if (!verified) return verified.error();
    auto& members = verified->members;
    bool oversubscribed = assignSlots(hosts.nodes(), members, slotsOverride);
    // The settings, known_hosts and hostfile in one write: one archive and one rename each.
    auto files = settingsFiles(cluster, verified->keys, oversubscribed);
    auto hostfile = renderMembersHostfile(cluster.name, members);
    if (!hostfile) return hostfile.error();
    files.push_back({TarEntry::Kind::file, "hostfile", *hostfile, 0644});
    if (auto published = publishFiles(engine, members, files); !published) return published.error();
    progress(Phase::ready, "head + " + std::to_string(nodes) + " nodes verified, hostfile written");
    return std::move(members);
}

Result<std::string> readHostfile(docker::Engine& engine, const std::string& headContainer) {
    auto outcome = engine.runExec(headContainer, {{"cat", kHostfilePath}, kMpiUser, {}, ""});
    if (!outcome) return outcome.error().context("read the hostfile");
    return outcome->exitCode == 0 ? outcome->out : std::string();
}

namespace {

bool isVerifiedEntry(const HostEntry& entry, const Member& member) {
    // At least the short ID: the hostfile is in the shared folder, where a job could write a
    // one-letter "container" that would match many.
    return entry.address == member.address && member.state == "running" && entry.container.size() >= kShortContainerId &&
           namesContainer(entry, member.containerId);
}

}  // namespace

Result<int> markVerifiedMembers(docker::Engine& engine, const std::string& cluster, std::vector<Member>& members) {
    if (members.empty() || members.front().role != MemberRole::head || members.front().containerId.empty()) return 0;
    auto text = readHostfile(engine, members.front().containerId);
    if (!text) return text.error();
    auto entries = parseHostfile(*text);
    if (!entries) return entries.error().context("cluster '" + cluster + "'");
    for (auto& member : members)
        for (const auto& entry : *entries)
            if (isVerifiedEntry(entry, member)) {
                member.ready = true;
                member.mpiSlots = entry.slots;
            }
    auto verifiedRunning = [&members](const HostEntry& entry) {
        return std::any_of(members.begin(), members.end(),
                           [&entry](const Member& member) { return isVerifiedEntry(entry, member); });
    };
    // An entry without a container was written by an older ppcs: stale too, verified again. Once a
    // hostfile exists, a running member it does not list is a replacement nobody verified (an up
    // or scale under way holds the cluster's lease, and callers skip such clusters).
    int stale = static_cast<int>(
        std::count_if(entries->begin(), entries->end(), [&](const HostEntry& entry) { return !verifiedRunning(entry); }));
    if (!entries->empty())
        stale += static_cast<int>(std::count_if(members.begin(), members.end(),
                                                [](const Member& member) { return member.state == "running" && !member.ready; }));
    return stale;
}

Result<bool> jobRunning(docker::Engine& engine, const std::string& headContainer) {
    auto outcome = engine.runExec(headContainer, {{"pgrep", "-x", "mpirun"}, "root", {}, ""});
    if (!outcome) return outcome.error().context("look for a running job");
    return outcome->exitCode == 0;
}

}  // namespace ppcs::cluster
