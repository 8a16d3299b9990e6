#include "jobs/job_start.h"

#include <thread>

#include "common/log.h"
#include "common/strings.h"
#include "jobs/placement.h"

namespace ppcs::jobs {
namespace {

// Where a job runs: its members and the cluster's MPI, from the same status (the view, or a read).
struct JobPlace {
    std::vector<model::Member> members;
    model::MpiKind mpi = model::kDefaultMpi;
};

// Its part of the members placeJob starts it on, beside the jobs that run (their ranks on `taken`).
Result<JobPlace> placeBeside(const model::JobRequest& request, const std::vector<model::Member>& members, model::MpiKind mpi,
                             const std::set<std::string>& taken) {
    auto claimed = claimMembers(request, members, taken);
    if (!claimed)
        return makeError(ErrorCode::conflict, "-n " + std::to_string(request.np) + " does not fit beside the jobs running on " +
                                                  join(std::vector<std::string>(taken.begin(), taken.end()), ", ") +
                                                  ": it starts when one of them ends");
    return JobPlace{*claimed, mpi};
}

// The members a job runs on: at once when it fits the ready ones; else it waits, saying for what,
// until the cluster has healed, its --timeout, a stop or ppcsd's shutdown.
Result<JobPlace> placeJobOn(const JobStartContext& context, docker::Engine& engine, const model::JobRequest& request,
                            bool untilWhole, const std::set<std::string>& taken, const model::Progress& events,
                            const JobControl& control) {
    // The view the engine's events keep, when the cluster was whole at the last look and nothing
    // happened to it since: no read at all.
    if (auto view = context.views.find(request.cluster)) {
        auto placement = placeJob(request, view->members, view->desiredNodes, untilWhole);
        if (placement.kind == Placement::Kind::start && placement.note.empty())
            return placeBeside(request, placement.members, view->mpi, taken);
    }
    auto started = std::chrono::steady_clock::now();
    std::string said;
    while (true) {
        auto readStarted = context.views.epoch();
        auto status = context.readCluster(engine, request.cluster);
        if (!status) return status.error();
        context.views.store(*status, readStarted);
        auto placement = placeJob(request, status->members, status->desiredNodes, untilWhole);
        if (placement.note != said && !placement.note.empty()) events(model::Phase::notice, placement.note);
        said = placement.note;
        if (placement.kind == Placement::Kind::start) return placeBeside(request, placement.members, status->mpi, taken);
        auto waited = std::chrono::steady_clock::now() - started;
        if (request.timeoutSeconds > 0 && waited >= std::chrono::seconds(request.timeoutSeconds))
            return makeError(ErrorCode::timeout, "cluster '" + request.cluster +
                                                     "' was not ready within the job's --timeout of " +
                                                     std::to_string(request.timeoutSeconds) + " s (" + placement.note + ")");
        if (control.stopRequested()) return makeError(ErrorCode::failed, "the job was stopped while it waited");
        if (context.shuttingDown && context.shuttingDown())
            return makeError(ErrorCode::unavailable, "ppcsd is shutting down: run the job again in a moment");
        std::this_thread::sleep_for(context.waitPoll);
    }
}

}  // namespace

Result<model::JobOutcome> startJob(const JobStartContext& context, const model::JobRequest& request, std::int64_t id, int attempt,
                                   const ClusterShare& share, JobControl& control, const model::Progress& events,
                                   const JobAfterRun& afterRun) {
    std::string what = "run '" + request.cluster + "'";
    std::string job = "job " + std::to_string(id);
    log::debug(job + ": leaves the queue");
    auto outcome = [&]() -> Result<model::JobOutcome> {
        // A job holds its cluster like up/scale/down do (no resize under it), but shares it with
        // the jobs beside it (the queue places them on disjoint members) and with a heal: it
        // starts on the ready members while a lost one is replaced.
        auto held = context.locks.acquire(request.cluster, model::ClusterOperation::run);
        if (!held) return held.error().context(what);
        auto engine = context.engines();
        if (!engine) return engine.error().context(what);
        log::debug(job + ": holds the cluster");
        auto place = placeJobOn(context, **engine, request, attempt > 1, share.taken, events, control);
        if (!place) return place.error();
        log::debug(job + ": placed");
        share.claim(rankHolders(place->members));
        JobRunner runner(**engine, context.store, context.running);
        auto ran = runner.run(request, id, place->members, events, control, place->mpi);
        log::debug(job + ": ended");
        if (afterRun) afterRun(**engine, place->members.front().containerId, ran);
        return ran;
    }();
    log::debug(job + ": released the cluster");
    return outcome;
}

}  // namespace ppcs::jobs
