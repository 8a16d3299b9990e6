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

}  // namespace ppcs::jobs
