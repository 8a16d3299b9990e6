#pragma once
// Ranks the kernel killed for running out of memory. A rank over its member's --memory limit is
// OOM-killed (SIGKILL); mpirun then only says "exited on signal 9". The engines' "oom" events of
// the cluster's containers name the member, and the job's outcome says so, with the limit and
// the exit code of a kill (137).

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "cluster/readiness.h"
#include "common/result.h"
#include "docker/engine.h"
#include "jobs/job_runner.h"

namespace ppcs::jobs {

inline constexpr int kOomExitCode = 137;  // 128 + SIGKILL

// The members' containers in which an engine saw an OOM kill from sinceSeconds until now, asked
// of the engine of every member's host that ppcsd reaches (members on other hosts it cannot
// reach are not looked at).
Result<std::set<std::string>> oomKilledContainers(docker::Engine& engine, const std::string& cluster,
                                                  const std::vector<cluster::Member>& members, std::int64_t sinceSeconds);

// "rank 1 on demo-node-2 was killed: out of memory (limit 64 MiB), exit 137". rank is mpirun's
// number for it, or empty ("a rank"); memoryLimitBytes 0 says "no memory limit".
std::string describeOomKill(const cluster::Member& member, const std::string& rank, std::int64_t memoryLimitBytes);

// For a job that failed: when an OOM kill in one of its members explains it, the outcome's message
// says so (describeOomKill) and its exit code becomes 137. The engine's event can trail mpirun's
// exit by a moment: a job whose rank died of SIGKILL is looked at again for about a second.
void explainOomKill(docker::Engine& engine, const std::string& cluster, const std::vector<cluster::Member>& members,
                    std::int64_t sinceSeconds, const std::string& mpirunErr, JobOutcome& outcome);

}  // namespace ppcs::jobs
