#pragma once
// Runs one MPI job on a cluster: prepares the program (copies a local source into the shared
// folder through the archive API and compiles it on the head), launches mpirun in the head
// container as mpiuser through the exec API, streams its output as it comes, records it, and
// on cancel or timeout stops the job on every node, leaving no rank behind.

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>

#include "cluster/readiness.h"
#include "common/result.h"
#include "docker/engine.h"
#include "jobs/job_request.h"
#include "jobs/job_store.h"

namespace ppcs::jobs {

struct JobOutcome {
    std::int64_t id = 0;
    int exitCode = 0;
    std::string state;     // finished, failed, cancelled, timed-out
    std::string message;   // e.g. "rank 1 on demo-node-1 (10.128.0.3) was killed by signal 11 (Segmentation fault)"
    double seconds = 0;
};

// How mpirun ended, before it is turned into a JobOutcome.
struct LaunchResult {
    int exitCode = 0;
    bool cancelled = false;
    bool timedOut = false;
    std::string lostNode;   // set when the job was stopped because a member died
    std::string mpirunErr;  // the first 64 KiB of stderr, to name a crashed rank
};

// Receives the job's output: phase "stdout" or "stderr" with raw data, "job" with status lines,
// "job-id" with the new job's id (first).
using JobEvents = std::function<void(const std::string& phase, const std::string& text)>;

// Tracks the running job of each cluster so that a cancel request can reach it.
class RunningJobs {
public:
    void started(const std::string& cluster, std::atomic<bool>* cancelFlag);
    void ended(const std::string& cluster);
    // False when no job runs on the cluster. A reason (a node was lost) becomes the job's message.
    bool cancel(const std::string& cluster, const std::string& reason = "");
    std::string reason(const std::string& cluster);

private:
    std::mutex mutex_;
    std::map<std::string, std::atomic<bool>*> flags_;
    std::map<std::string, std::string> reasons_;
};

class JobRunner {
public:
    JobRunner(docker::EngineClient& engine, JobStore& store, RunningJobs& running) : engine_(engine), store_(store), running_(running) {}

    // The members are the cluster's, as status reports them (head first, all ready).
    Result<JobOutcome> run(const JobRequest& request, const std::vector<cluster::Member>& members, const JobEvents& events);

private:
    // Copies a user's program into the head's shared folder, builds it there and copies the result
    // to the other hosts' shared folders; returns the argv that runs it.
    Result<std::vector<std::string>> prepareProgram(const JobRequest& request, const ResolvedProgram& program,
                                                    const std::vector<cluster::Member>& members, std::int64_t id, const JobEvents& events);
    // Streams mpirun's output to events and the store; stops it everywhere on cancel or timeout.
    Result<LaunchResult> supervise(const JobRequest& request, const std::vector<cluster::Member>& members, const std::vector<std::string>& argv,
                                   std::int64_t id, const JobEvents& events);

    docker::EngineClient& engine_;
    JobStore& store_;
    RunningJobs& running_;
};

// Stops a job on every member: TERM then KILL to mpirun on the head, then every process of
// mpiuser but ssh/sshd on every member. Also used for jobs orphaned by a daemon that died.
Status stopJobEverywhere(docker::EngineClient& engine, const std::vector<cluster::Member>& members);

// "rank R on HOST (ADDRESS) was killed by signal N (NAME)" from mpirun's stderr, or "".
std::string describeCrash(const std::string& mpirunStderr, const std::vector<cluster::Member>& members);

}  // namespace ppcs::jobs
