#pragma once
// Where a job may run while its cluster is not whole. A member being replaced (a lost node that
// ppcsd heals) never makes the cluster refuse work: a job that fits the ready members starts on
// them at once; one that needs the missing slots waits for the heal. Pure: the caller asks again
// as the cluster changes.

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

}  // namespace ppcs::jobs
