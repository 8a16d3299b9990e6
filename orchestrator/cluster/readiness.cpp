#include "cluster/readiness.h"

#include <algorithm>
#include <future>
#include <map>
#include <set>
#include <thread>

#include "cluster/cluster_files.h"
#include "cluster/hostfile.h"
#include "cluster/hosts.h"
#include "cluster/spec.h"
#include "common/strings.h"
#include "common/tar.h"

namespace ppcs::cluster {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kPollInterval = std::chrono::milliseconds(100);
constexpr std::size_t kParallelExecs = 8;
constexpr const char* kIncomingSuffix = ".ppcs-incoming";

std::string describe(const Member& member) {
    return member.role == MemberRole::head ? "head" : "node " + std::to_string(member.slot);
}

bool isUp(const Member& member) { return member.state == "running" && !member.address.empty() && !member.containerId.empty(); }

// Runs fn over items with at most kParallelExecs at a time; returns the first error.
template <class Item, class Fn>
Status forEachParallel(std::vector<Item>& items, Fn fn) {
    for (std::size_t start = 0; start < items.size(); start += kParallelExecs) {
        std::vector<std::future<Status>> running;
        for (std::size_t i = start; i < std::min(items.size(), start + kParallelExecs); ++i)
            running.push_back(std::async(std::launch::async, [&fn, &items, i] { return fn(items[i]); }));
        for (auto& done : running)
            if (auto status = done.get(); !status) return status;
    }
    return {};
}

Result<std::vector<Member>> waitForTasks(docker::Engine& engine, const ObservedCluster& cluster, int nodes,
                                         const Deadline& deadline, const Progress& progress) {
    int lastReported = -1;
    while (true) {
        auto members = currentMembers(engine, cluster);
        if (!members) return members.error();
        int upNodes = 0;
        bool headUp = false;
        for (const auto& member : *members) {
            if (member.role == MemberRole::head)
                headUp = headUp || isUp(member);
            else
                upNodes += isUp(member) ? 1 : 0;
        }
        if (upNodes != lastReported)
            progress(Phase::tasks,
                     std::to_string(upNodes) + "/" + std::to_string(nodes) + " nodes running" + (headUp ? ", head running" : ""));
        lastReported = upNodes;
        if (headUp && upNodes == nodes && static_cast<int>(members->size()) == nodes + 1) return members;
        if (deadline.passed()) {
            std::vector<std::string> missing;
            for (const auto& member : *members)
                if (!isUp(member))
                    missing.push_back(describe(member) + " (" + member.state +
                                      (member.message.empty() ? "" : ": " + member.message) + ")");
            if (static_cast<int>(members->size()) < nodes + 1)
                missing.push_back(std::to_string(nodes + 1 - members->size()) + " task(s) not even scheduled");
            return makeError(ErrorCode::timeout, "tasks not running in time: " + join(missing, ", "));
        }
        std::this_thread::sleep_for(kPollInterval);
    }
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

// Host keys of members on hosts ppcsd cannot reach, scanned from the head over the cluster's own
// overlay network (the only path to them); retried until each answered or the deadline.
Status scanUnreachableKeys(docker::Engine& engine, const std::vector<Member>& members, const std::vector<std::size_t>& pending,
                           std::vector<KnownHost>& keys, const Deadline& deadline) {
    std::vector<std::size_t> waiting = pending;
    while (!waiting.empty()) {
        std::vector<std::string> addresses;
        for (auto i : waiting) addresses.push_back(members[i].address);
        auto scanned = scanHostKeys(engine, members.front().containerId, addresses);
        if (!scanned) return scanned.error();
        std::vector<std::size_t> still;
        for (auto i : waiting) {
            auto key = scanned->find(members[i].address);
            if (key == scanned->end())
                still.push_back(i);
            else
                keys[i] = KnownHost{members[i].address, members[i].hostname, key->second};
        }
        waiting = std::move(still);
        if (!waiting.empty() && deadline.passed())
            return makeError(ErrorCode::timeout,
                             describe(members[waiting.front()]) + " offered no ssh host key in time (scanned from the head)");
        if (!waiting.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    return {};
}

// Reads each member's ed25519 host key through its host's engine; the entrypoint makes it at
// start, so wait for it. Members on hosts ppcsd cannot reach are scanned from the head.
Result<std::vector<KnownHost>> collectHostKeys(docker::Engine& local, HostEngines& hosts, std::vector<Member>& members,
                                               const Deadline& deadline) {
    std::vector<KnownHost> keys(members.size());
    std::vector<std::size_t> indexes;
    std::vector<std::size_t> unreachable;
    for (std::size_t i = 0; i < members.size(); ++i) (hosts.engineFor(members[i].nodeId) ? indexes : unreachable).push_back(i);
    auto status = forEachParallel(indexes, [&](std::size_t i) -> Status {
        auto& engine = *hosts.engineFor(members[i].nodeId);
        while (true) {
            auto key = engine.runExec(members[i].containerId, {{"cat", "/etc/ssh/ssh_host_ed25519_key.pub"}, "root", {}, ""});
            if (key && key->exitCode == 0 && !trim(key->out).empty()) {
                keys[i] = KnownHost{members[i].address, members[i].hostname, std::string(trim(key->out))};
                return {};
            }
            // A container that stopped (a task Swarm has not yet marked failed) will never answer.
            if (!key && (key.error().code == ErrorCode::conflict || key.error().code == ErrorCode::notFound))
                return makeError(ErrorCode::unavailable, describe(members[i]) + " is not running: " + key.error().message);
            if (deadline.passed())
                return makeError(ErrorCode::timeout,
                                 describe(members[i]) + " has no ssh host key in time" + (key ? "" : ": " + key.error().message));
            std::this_thread::sleep_for(kPollInterval);
        }
    });
    if (!status) return status.error();
    if (auto scanned = scanUnreachableKeys(local, members, unreachable, keys, deadline); !scanned) return scanned.error();
    return keys;
}

// From the head, as mpiuser: ssh to every address with the cluster key. Returns the addresses
// that did not accept yet. The addresses are positional arguments of a fixed script.
Result<std::vector<std::string>> sshRefusals(docker::Engine& engine, const std::string& headContainer,
                                             const std::vector<std::string>& addresses) {
    // All at once: one handshake per member in parallel, each connection kept as the member's
    // ControlMaster for later mpiruns.
    std::vector<std::string> argv{"sh", "-c",
                                  "for ip do (ssh -o BatchMode=yes -o ConnectTimeout=5 -o StrictHostKeyChecking=yes \"$ip\" true "
                                  "</dev/null >/dev/null 2>&1 || echo \"$ip\") & done; wait",
                                  "ppcs-verify"};
    argv.insert(argv.end(), addresses.begin(), addresses.end());
    auto outcome = engine.runExec(headContainer, {argv, kMpiUser, {}, ""}, std::chrono::seconds(120));
    if (!outcome) return outcome.error().context("verify ssh from the head");
    std::vector<std::string> refused;
    for (const auto& line : split(std::string(trim(outcome->out)), '\n'))
        if (!line.empty()) refused.push_back(line);
    return refused;
}

Status verifySsh(docker::Engine& engine, const std::vector<Member>& members, const Deadline& deadline, const Progress& progress) {
    std::vector<std::string> pending;
    for (const auto& member : members) pending.push_back(member.address);
    while (true) {
        auto refused = sshRefusals(engine, members.front().containerId, pending);
        if (!refused) return refused.error();
        if (refused->empty()) return {};
        if (refused->size() != pending.size())
            progress(Phase::ssh, std::to_string(members.size() - refused->size()) + "/" + std::to_string(members.size()) +
                                     " members accept the cluster key");
        pending = *refused;
        if (deadline.passed()) {
            std::vector<std::string> names;
            for (const auto& member : members)
                if (std::find(pending.begin(), pending.end(), member.address) != pending.end())
                    names.push_back(describe(member) + " (" + member.address + ")");
            return makeError(ErrorCode::timeout,
                             "sshd did not accept the cluster key from the head in time on: " + join(names, ", "));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
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
        member.slots = slotsOverride > 0 ? slotsOverride : cpusOf(member.nodeId);
        ranksOnHost[member.nodeId] += member.slots;
    }
    for (const auto& [host, ranks] : ranksOnHost)
        if (ranks > cpusOf(host)) return true;
    return false;
}

}  // namespace

Status replicateSharedFiles(docker::Engine& engine, const std::vector<Member>& members, const std::vector<std::string>& paths) {
    if (members.empty() || members.front().role != MemberRole::head)
        return makeError(ErrorCode::failed, "replicate shared files: no head");
    std::set<std::string> hostsSeen{members.front().nodeId};
    std::string peers;
    for (const auto& member : members)
        if (!member.address.empty() && hostsSeen.insert(member.nodeId).second)
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

Status writeSharedFiles(docker::Engine& engine, const std::string& headContainer, const std::vector<TarEntry>& files) {
    // Each file lands beside its place under a temporary name, then one rename puts it there: a
    // job's mpirun or ssh reading the hostfile or known_hosts meanwhile sees the old or the new
    // file, never a missing or half-written one.
    TarWriter tar;
    std::vector<std::string> argv{
        "sh", "-c", "for p do mv -f -- \"$p" + std::string(kIncomingSuffix) + "\" \"$p\" || exit 1; done", "ppcs-install"};
    bool anyFile = false;
    for (auto file : files) {
        if (file.kind == TarEntry::Kind::file) {
            anyFile = true;
            argv.push_back(file.path);
            file.path += kIncomingSuffix;
        }
        if (auto added = tar.add(file); !added) return added;
    }
    if (auto put = engine.putArchive(headContainer, kSharedDir, tar.finish()); !put) return put;
    if (!anyFile) return {};
    auto moved = engine.runExec(headContainer, {argv, "root", {}, kSharedDir}, std::chrono::seconds(30));
    if (!moved) return moved.error().context("install shared files");
    if (moved->exitCode != 0) return makeError(ErrorCode::failed, "install shared files: " + std::string(trim(moved->err)));
    return {};
}

Member memberFromTask(const docker::TaskInfo& task, const std::string& cluster, bool isHead, const std::string& networkId) {
    Member member;
    member.role = isHead ? MemberRole::head : MemberRole::node;
    member.slot = isHead ? 0 : task.slot;
    member.hostname = memberHostname(cluster, member.role, member.slot);
    member.state = task.state;
    member.message = task.error.empty() ? task.message : task.error;
    member.containerId = task.containerId;
    member.nodeId = task.nodeId;
    auto addresses = networkId.empty() ? task.addresses.begin() : task.addresses.find(networkId);
    if (addresses != task.addresses.end() && !addresses->second.empty())
        member.address = addresses->second.front().substr(0, addresses->second.front().find('/'));
    return member;
}

void sortMembers(std::vector<Member>& members) {
    std::sort(members.begin(), members.end(), [](const Member& a, const Member& b) {
        return std::make_pair(a.role != MemberRole::head, a.slot) < std::make_pair(b.role != MemberRole::head, b.slot);
    });
}

Result<std::vector<Member>> currentMembers(docker::Engine& engine, const ObservedCluster& cluster) {
    if (!cluster.complete())
        return makeError(ErrorCode::notFound,
                         "cluster '" + cluster.name + "' is incomplete (missing " + cluster.missingParts() + ")");
    auto tasks =
        engine.listTasks({{"service", {cluster.headService->id, cluster.nodeService->id}}, {"desired-state", {"running"}}});
    if (!tasks) return tasks.error().context("list the tasks of cluster '" + cluster.name + "'");
    std::vector<Member> members;
    for (const auto& task : *tasks)
        members.push_back(memberFromTask(task, cluster.name, task.serviceId == cluster.headService->id, cluster.network->id));
    sortMembers(members);
    return members;
}

Result<std::vector<Member>> verifyMembers(docker::Engine& engine, HostEngines& hosts, const ObservedCluster& cluster, int nodes,
                                          int slotsOverride, const Deadline& deadline, const Progress& progress) {
    auto members = waitForTasks(engine, cluster, nodes, deadline, progress);
    if (!members) return members.error();
    bool oversubscribed = assignSlots(hosts.nodes(), *members, slotsOverride);
    auto keys = collectHostKeys(engine, hosts, *members, deadline);
    if (!keys) return keys.error();
    progress(Phase::ssh, "host keys of " + std::to_string(keys->size()) + " members collected");
    std::vector<TarEntry> settings{
        {TarEntry::Kind::directory, ".ppcs", "", 0755},
        {TarEntry::Kind::file, ".ppcs/mca-params.conf", renderMcaParams(cluster.name, {cluster.subnet(), oversubscribed}), 0644},
        {TarEntry::Kind::file, ".ppcs/known_hosts", renderKnownHosts(*keys), 0644}};
    if (auto written = writeSharedFiles(engine, members->front().containerId, settings); !written)
        return written.error().context("write the cluster's settings");
    if (auto verified = verifySsh(engine, *members, deadline, progress); !verified) return verified.error();
    return members;
}

Result<std::string> renderMembersHostfile(const std::string& cluster, const std::vector<Member>& members) {
    std::vector<HostEntry> entries;
    for (const auto& member : members) entries.push_back({member.address, member.slots, member.hostname, member.containerId});
    return renderHostfile(cluster, entries);
}

Status publishHostfile(docker::Engine& engine, const std::string& cluster, std::vector<Member>& members) {
    if (members.empty() || members.front().role != MemberRole::head)
        return makeError(ErrorCode::failed, "write the hostfile: no head");
    auto hostfile = renderMembersHostfile(cluster, members);
    if (!hostfile) return hostfile.error();
    if (auto written =
            writeSharedFiles(engine, members.front().containerId, {{TarEntry::Kind::file, "hostfile", *hostfile, 0644}});
        !written)
        return written.error().context("write the hostfile");
    // The volume is local to each host: the other hosts' members read the MPI settings from theirs.
    if (auto copied = replicateSharedFiles(engine, members, {".ppcs", "hostfile"}); !copied) return copied.error();
    for (auto& member : members) member.ready = true;
    return {};
}

Result<std::vector<Member>> makeReady(docker::Engine& engine, HostEngines& hosts, const ObservedCluster& cluster, int nodes,
                                      int slotsOverride, const Deadline& deadline, const Progress& progress) {
    auto members = verifyMembers(engine, hosts, cluster, nodes, slotsOverride, deadline, progress);
    if (!members) return members.error();
    if (auto published = publishHostfile(engine, cluster.name, *members); !published) return published.error();
    progress(Phase::ready, "head + " + std::to_string(nodes) + " nodes verified, hostfile written");
    return members;
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
                member.slots = entry.slots;
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
