#include "jobs/placement.h"

#include <algorithm>

#include "common/strings.h"

namespace ppcs::jobs {
namespace {

// "node-5 (starting), 1 node not scheduled yet": the members the job would wait for.
std::string describeMissing(const std::vector<cluster::Member>& members, int unscheduled) {
    std::vector<std::string> names;
    for (const auto& member : members)
        if (!member.ready)
            names.push_back(member.hostname + " (" + (member.state == "running" ? "being verified" : member.state) + ")");
    if (unscheduled > 0) names.push_back(std::to_string(unscheduled) + " node(s) not scheduled yet");
    return join(names, ", ");
}

}  // namespace

Placement placeJob(const JobRequest& request, const std::vector<cluster::Member>& members, int desiredNodes, bool untilWhole) {
    std::vector<cluster::Member> ready;
    int readySlots = 0;
    for (const auto& member : members)
        if (member.ready) {
            ready.push_back(member);
            readySlots += member.mpiSlots;
        }
    int unscheduled = std::max(0, desiredNodes + 1 - static_cast<int>(members.size()));
    bool whole = ready.size() == members.size() && unscheduled == 0;
    if (whole) return {Placement::Kind::start, members, ""};
    std::string missing = describeMissing(members, unscheduled);
    bool headReady = !ready.empty() && ready.front().role == model::MemberRole::head;
    if (!headReady) return {Placement::Kind::wait, {}, "the head is being replaced: waiting for " + missing};
    if (untilWhole) return {Placement::Kind::wait, {}, "its next attempt waits for the cluster to heal: waiting for " + missing};
    int np = request.np > 0 ? request.np : readySlots;
    int readyHosts = static_cast<int>(ready.size());
    bool fits = (np <= readySlots || request.oversubscribe) && (request.perNode == 0 || request.perNode * readyHosts >= np);
    if (!fits)
        return {Placement::Kind::wait,
                {},
                "-n " + std::to_string(np) + " needs more than the " + std::to_string(readySlots) + " ready slots: waiting for " +
                    missing};
    return {Placement::Kind::start, ready,
            "running on the " + std::to_string(ready.size()) + " ready members of " + std::to_string(desiredNodes + 1) + " (" +
                missing + ")"};
}

std::optional<std::vector<cluster::Member>> claimMembers(const JobRequest& request, const std::vector<cluster::Member>& members,
                                                         const std::set<std::string>& taken) {
    if (members.empty()) return std::nullopt;
    if (request.np == 0 || (request.oversubscribe && taken.empty())) {
        if (!taken.empty()) return std::nullopt;
        int slots = 0;
        for (const auto& member : members) slots += member.mpiSlots;
        if (request.np == 0 || request.np > slots) return members;
    }
    std::vector<cluster::Member> claimed{members.front()};
    claimed.front().mpiSlots = 0;
    int slots = 0, hosts = 0;
    auto enough = [&] { return slots >= request.np && (request.perNode == 0 || hosts * request.perNode >= request.np); };
    for (std::size_t index = 0; index < members.size() && !enough(); ++index) {
        const auto& member = members[index];
        if (taken.count(member.hostname) || member.mpiSlots <= 0) continue;
        if (index == 0)
            claimed.front().mpiSlots = member.mpiSlots;
        else
            claimed.push_back(member);
        slots += member.mpiSlots;
        ++hosts;
    }
    if (enough()) return claimed;
    // More than the cluster has, even with nothing else running: the launch names why it cannot run.
    if (taken.empty()) return members;
    return std::nullopt;
}

std::vector<cluster::Member> rankMembers(const std::vector<cluster::Member>& members) {
    std::vector<cluster::Member> ranks;
    for (const auto& member : members)
        if (member.mpiSlots > 0) ranks.push_back(member);
    return ranks;
}

std::set<std::string> rankHolders(const std::vector<cluster::Member>& members) {
    std::set<std::string> holders;
    for (const auto& member : rankMembers(members)) holders.insert(member.hostname);
    return holders;
}

}  // namespace ppcs::jobs
