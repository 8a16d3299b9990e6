#pragma once
// Where a job may run while its cluster is not whole. A member being replaced (a lost node that
// ppcsd heals) never makes the cluster refuse work: a job that fits the ready members starts on
// them at once; one that needs the missing slots waits for the heal. Pure: the caller asks again
// as the cluster changes.

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "cluster/readiness.h"
#include "jobs/job_request.h"

namespace ppcs::jobs {

struct Placement {
    enum class Kind { start, wait };
    Kind kind = Kind::start;
    std::vector<cluster::Member> members;  // start: the ready members the job runs on, head first
    std::string note;  // start: what the user should know (some members left out), or empty; wait: what it waits for
};

// members: the cluster's, as `status` gives them (head first, `ready` set for verified members);
// desiredNodes: how many nodes the cluster should have. A job without -n takes the ready slots.
// A job waits while the head is not ready, or while the ready members are too few for its -n or
// --per-node and some member is not ready yet. A cluster that is whole always gives start (the
// launch then checks -n against its slots, as it always did). With untilWhole (a job queued again
// after a lost node), the job waits for the cluster to be whole again whatever it fits.
Placement placeJob(const JobRequest& request, const std::vector<cluster::Member>& members, int desiredNodes,
                   bool untilWhole = false);

// The members a job runs on beside the jobs that already run on the cluster, whose ranks hold the
// members named in `taken` (hostnames). members: where placeJob starts it (head first). A job
// without -n takes them all, so it fits only when nothing is taken. A job with -n takes the fewest
// free members, in order, whose slots hold its ranks (and its --per-node places); on a cluster
// nobody uses, --oversubscribe lets it take them all for more ranks than slots. The head launches
// every job: it always comes first, with mpiSlots 0 when it holds none of the job's ranks (taken,
// or not needed). nullopt when the job does not fit beside the others yet; all the members when it
// asks for more than they have even alone (the launch then says why it cannot run).
std::optional<std::vector<cluster::Member>> claimMembers(const JobRequest& request, const std::vector<cluster::Member>& members,
                                                         const std::set<std::string>& taken);

// The members that hold a job's ranks (mpiSlots above 0): all but a head that only launches it.
std::vector<cluster::Member> rankMembers(const std::vector<cluster::Member>& members);
// Their hostnames.
std::set<std::string> rankHolders(const std::vector<cluster::Member>& members);

}  // namespace ppcs::jobs
