#pragma once
// Runs one MPI job on a cluster: prepares the program (copies a local source into the shared
// folder through the archive API and compiles it on the head), launches mpirun in the head
// container as mpiuser through the exec API, streams its output as it comes, records it, and
// on cancel or timeout stops the job on every node, leaving no rank behind.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "cluster/readiness.h"
#include "common/result.h"
#include "docker/engine.h"
#include "jobs/job_request.h"
#include "jobs/job_store.h"

namespace ppcs::jobs {

using model::JobOutcome;

// Why a job is being stopped before it ended by itself.
enum class StopCause {
    none,
    cancelled,       // Ctrl-C in the CLI, or `ppcs-cluster cancel`
    timedOut,        // ran past its --timeout
    nodeLost,        // a member died (detail: which)
    clientGone,      // the client that followed it went away (closed terminal, dropped connection)
    daemonStopping,  // ppcsd is shutting down (daemon stop, replaced binary)
};

// One job's stop switch, shared by its runner, its watchdog and whoever asks it to stop. The
// first cause given wins; later requests change nothing. Thread-safe.
class JobControl {
public:
    void requestStop(StopCause cause, const std::string& detail = "");
    bool stopRequested() const { return stopRequested_.load(); }
    StopCause cause() const;
    std::string detail() const;

private:
    std::atomic<bool> stopRequested_{false};
    mutable std::mutex mutex_;
    StopCause cause_ = StopCause::none;
    std::string detail_;
};

// How mpirun ended, before it is turned into a JobOutcome.
struct LaunchResult {
    int exitCode = 0;
    std::string mpirunErr;  // the first 64 KiB of stderr, to name a crashed rank
};

// Receives the job's output: phase "stdout" or "stderr" with raw data, "job" with status lines,
// "notice" with what the user must see even when output is not a terminal (the job runs on fewer
// members, or waits).
using JobEvents = model::Progress;
using model::Phase;

// The jobs that run now, by id, with their cluster and members, so that a cancel, a lost node or
// a shutdown can reach them (a cluster may run several side by side, on disjoint members). A job
// is registered from its first step (copy, compile) to its end.
class RunningJobs {
public:
    // members: the hostnames the job uses (the head, where its launcher runs, and its ranks' members).
    void started(std::int64_t id, const std::string& cluster, JobControl* control, std::set<std::string> members = {});
    void ended(std::int64_t id);
    // Stops every job running on the cluster; false when none runs.
    bool stop(const std::string& cluster, StopCause cause, const std::string& detail = "");
    // Stops the cluster's jobs that use member (a hostname), or all of them when member is nullopt
    // (a lost docker host: which members it took is not known); false when no job was asked to stop.
    bool stopUsing(const std::string& cluster, const std::optional<std::string>& member, StopCause cause,
                   const std::string& detail);
    // Asks every running job to stop; returns how many were asked. With close, every job that
    // registers afterwards is asked to stop at once (ppcsd is shutting down).
    std::size_t stopAll(StopCause cause, const std::string& detail, bool close = false);
    // Waits until no job runs, at most `limit`; false when some still run.
    bool waitUntilIdle(std::chrono::milliseconds limit);

private:
    struct Entry {
        std::string cluster;
        JobControl* control = nullptr;
        std::set<std::string> members;
    };
    std::mutex mutex_;
    std::condition_variable idle_;
    std::map<std::int64_t, Entry> jobs_;                       // by job id
    std::optional<std::pair<StopCause, std::string>> closed_;  // set by stopAll(..., close)
};

// Registers a job with RunningJobs for the life of this object, whatever way its steps end.
class RunningJobRegistration {
public:
    RunningJobRegistration(RunningJobs& running, std::int64_t id, const std::string& cluster, JobControl* control,
                           std::set<std::string> members = {})
        : running_(running), id_(id) {
        running_.started(id_, cluster, control, std::move(members));
    }
    ~RunningJobRegistration() { running_.ended(id_); }
    RunningJobRegistration(const RunningJobRegistration&) = delete;
    RunningJobRegistration& operator=(const RunningJobRegistration&) = delete;

private:
    RunningJobs& running_;
    std::int64_t id_;
};

class JobRunner {
public:
    JobRunner(docker::Engine& engine, JobStore& store, RunningJobs& running)
        : engine_(engine), store_(store), running_(running) {}

    // Runs job `id`, queued in the store (JobStore::enqueue), which it marks started. The members
    // are those the job runs on, as status reports them (head first, all ready: the whole cluster,
    // or its part placement gives it, claimMembers); the job's own hostfile lists exactly those
    // that hold its ranks: a head with mpiSlots 0 only launches it. Everything the job starts
    // carries PPCS_JOB_ID=id in its environment, and a stop ends only that.
    // The job can be stopped in every phase (copy, compile, run) through control, which
    // running_ lists meanwhile (a cancel, a lost node, a shutdown reach it there). A job that is
    // no longer queued (cancelled meanwhile) does not start: its outcome says so, its record stays.
    // mpi is the cluster's (ClusterStatus::mpi): it picks the launcher and the hostfile's format.
    Result<JobOutcome> run(const JobRequest& request, std::int64_t id, const std::vector<cluster::Member>& members,
                           const JobEvents& events, JobControl& control, model::MpiKind mpi = model::kDefaultMpi);

private:
    // Copies a user's program into the head's shared folder, builds it there and copies the result
    // to the other hosts' shared folders; returns the argv that runs it.
    // Stops between steps (and so never launches) once control asks for a stop.
    Result<std::vector<std::string>> prepareProgram(const JobRequest& request, const ResolvedProgram& program,
                                                    const std::vector<cluster::Member>& members, std::int64_t id,
                                                    const JobEvents& events, const JobControl& control);
    // Streams mpirun's output to events and the store. A failed exec stream stops the job on
    // every member before the error is returned.
    // mpirun runs in the job's folder (its ranks start where its --wdir says). With a hostfile,
    // the same exec first makes that folder and writes the hostfile there (launchInFolderArgv);
    // without, both must be there already.
    Result<LaunchResult> launch(const std::vector<cluster::Member>& members, const std::vector<std::string>& argv,
                                const std::optional<std::string>& hostfile, std::int64_t id, const JobEvents& events);

    // The steps after the job is recorded: prepare, launch, outcome; watched from start to end.
    Result<JobOutcome> runSteps(const JobRequest& request, const ResolvedProgram& program,
                                const std::vector<cluster::Member>& members, std::int64_t id, const JobEvents& events,
                                JobControl& control, int totalSlots, model::MpiKind mpi);
    // Stores a piece of output; the first failure to store is said once, to the log and the user.
    void recordOutput(std::int64_t id, bool isErr, std::string_view piece, const JobEvents& events);
    // Writes the job's final state; a failure is logged as an error (the job itself has ended).
    void finishRecord(std::int64_t id, JobState state, std::optional<int> exitCode, double seconds, const std::string& message);

    docker::Engine& engine_;
    JobStore& store_;
    RunningJobs& running_;
    bool outputRecordFailed_ = false;
};

// Stops job `id` on every member (head first): TERM then KILL to its launcher (mpirun or mpiexec)
// on the head, then KILL to every process of mpiuser that carries its PPCS_JOB_ID, but ssh/sshd
// (which the members' shared ssh connections are), on every member. Jobs side by side are left
// alone. With nullopt, every job on the members: used for jobs orphaned by a daemon that died.
Status stopJobEverywhere(docker::Engine& engine, const std::vector<cluster::Member>& members, std::optional<std::int64_t> id);

// The first of the members whose container no longer runs ("node NAME (ADDRESS)"), asked of
// each member's host engine that ppcsd reaches; nullopt when every member it can see runs. A job
// whose launcher failed is checked so: mpirun may end of a lost node before the node watch says so.
std::optional<std::string> lostMember(docker::Engine& engine, const std::string& cluster,
                                      const std::vector<cluster::Member>& members);

// A rank that died of a signal, as mpirun reports it on stderr.
struct CrashReport {
    std::string rank;
    std::string node;  // as mpirun names it: an address or a hostname
    int signal = 0;
    std::string signalName;
};
// The first crash mpirun reported, or nullopt.
std::optional<CrashReport> findCrash(const std::string& mpirunStderr);
bool crashNamesMember(const CrashReport& crash, const cluster::Member& member);

// "rank R on HOST (ADDRESS) was killed by signal N (NAME)" from mpirun's stderr, or "".
std::string describeCrash(const std::string& mpirunStderr, const std::vector<cluster::Member>& members);

}  // namespace ppcs::jobs
