#include "daemon/daemon_services.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>

#include "api/job_messages.h"
#include "cluster/hosts.h"
#include "cluster/observed.h"
#include "cluster/stats.h"
#include "common/clock.h"
#include "common/files.h"
#include "common/guarded.h"
#include "common/log.h"
#include "common/strings.h"
#include "daemon/metrics_scrape.h"
#include "docker/engine.h"
#include "jobs/bench.h"
#include "jobs/job_request.h"
#include "jobs/placement.h"
#include "jobs/shared_copy.h"
#include "metrics/ppcsd_metrics.h"

namespace ppcs::daemon {

RealDaemonServices::RealDaemonServices(std::string stateDir, std::unique_ptr<jobs::JobStore> store)
    : stateDir_(std::move(stateDir)),
      started_(std::chrono::steady_clock::now()),
      runner_(image::makeProcessRunner()),
      clusterLocks_(cluster::clientFactory([this] { return connectEngine(); })),
      store_(std::move(store)),
      nodeWatcher_(cluster::clientFactory([this] { return connectEngine(); }), clusterLocks_, clusterEvents_,
                   [this](const cluster::NodeLoss& loss) {
                       if (!loss.dockerHost.empty()) {
                           runningJobs_.stopUsing(loss.cluster, std::nullopt, jobs::StopCause::nodeLost,
                                                  "docker host " + loss.dockerHost);
                           return;
                       }
                       std::string node = "node " + loss.hostname + (loss.address.empty() ? "" : " (" + loss.address + ")");
                       runningJobs_.stopUsing(loss.cluster, loss.hostname, jobs::StopCause::nodeLost, node);
                   }),
      viewWatcher_(cluster::clientFactory([this] { return connectEngine(); }), clusterViews_),
      queue_(
          *store_, jobs::RequestCodec{api::encodeJobRequest, api::decodeJobRequest},
          [this](const model::JobRequest& request, std::int64_t id, int attempt, const jobs::ClusterShare& share,
                 jobs::JobControl& control,
                 const model::Progress& events) { return launchJob(request, id, attempt, share, control, events); },
          [this](const std::string& cluster) { return !clusterLocks_.heldHereAgainst(cluster, model::ClusterOperation::run); }) {
    metrics::declarePpcsdMetrics(metrics_);
    // Every cluster event is a loss or a step of its healing (cluster/node_watch.h).
    clusterEvents_.setListener([this](const std::string& cluster) { metrics::recordHealEvent(metrics_, cluster); });
}

Result<docker::EngineClient> RealDaemonServices::connectEngine() { return connectCountedEngine(metrics_); }

RealDaemonServices::~RealDaemonServices() {
    queue_.stop();
    viewWatcher_.stop();
    nodeWatcher_.stop();
    for (auto& cleaner : cleaners_) cleaner.join();
}

void RealDaemonServices::stopOrphanedJobs() {
    for (const auto& name : store_->interruptedClusters()) {
        // A cluster that is busy, gone or unreachable has nothing to stop. The line is logged once
        // the cluster is free again.
        // No queued job starts on the cluster before its clean-up is done.
        auto hold = queue_.holdCluster(name);
        cleaners_.emplace_back([this, name, hold] {
            runGuarded("clean-up of '" + name + "'", [this, &name] {
                auto sweep = [&name](cluster::ClusterManager& manager, docker::EngineClient& engine) -> Result<Status> {
                    auto status = manager.status(name);
                    if (!status || status->members.empty()) return makeError(ErrorCode::notFound, "nothing to stop");
                    return jobs::stopJobEverywhere(engine, status->members, std::nullopt);
                };
                auto swept = withCluster<Status>(name, model::ClusterOperation::cleanup, sweep);
                // The killed daemon's lease may still look live for a moment (its process not yet reaped): wait it out, bounded.
                for (int wait = 0; wait < 40 && !shuttingDown_ && !swept && swept.error().code == ErrorCode::conflict; ++wait) {
                    std::this_thread::sleep_for(std::chrono::seconds(1));
                    swept = withCluster<Status>(name, model::ClusterOperation::cleanup, sweep);
                }
                if (swept)
                    log::info("stopped what an interrupted job left on cluster '" + name + "'" +
                              (*swept ? "" : ": " + swept->error().message));
                else if (swept.error().code == ErrorCode::conflict)
                    log::warn("could not stop what an interrupted job left on cluster '" + name + "': " + swept.error().message);
            });
        });
    }
}

api::DaemonStatus RealDaemonServices::status() {
    api::DaemonStatus status;
    status.pid = static_cast<int>(::getpid());
    status.version = PPCS_VERSION;
    status.stateDir = stateDir_;
    status.imageContextDir = image::defaultImageContextDir();
    status.uptimeSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    auto engine = connectEngine();
    if (engine) {
        status.engine.reachable = true;
        status.engine.endpoint = engine->endpoint();
        status.engine.apiVersion = engine->engineApiVersion();
    } else {
        status.engine.error = engine.error().message;
    }
    return status;
}

Result<model::BuildOutcome> RealDaemonServices::buildImage(const model::BuildRequest& request,
                                                           const model::BuildProgress& progress) {
    auto engine = connectEngine();
    if (!engine) return engine.error().context("build image " + request.imageRef);
    // One build at a time per daemon: two builds of one image would race for its tag.
    std::unique_lock<std::mutex> lock(buildMutex_, std::try_to_lock);
    if (!lock.owns_lock()) {
        progress(model::Phase::check, "another build is running: waiting for it");
        lock.lock();
    }
    image::ImageBuilder builder(*engine, *runner_);
    return builder.build(request, progress);
}

template <class Value, class Fn>
Result<Value> RealDaemonServices::withEngine(Fn fn, const std::string& what) {
    auto engine = connectEngine();
    if (!engine) return what.empty() ? engine.error() : engine.error().context(what);
    cluster::ClusterManager manager(*engine, *runner_, &buildMutex_);
    return fn(manager, *engine);
}

template <class Value, class Fn>
Result<Value> RealDaemonServices::withCluster(const std::string& name, model::ClusterOperation operation, Fn fn) {
    std::string what = std::string(model::clusterOperationName(operation)) + " '" + name + "'";
    auto held = clusterLocks_.acquire(name, operation);
    if (!held) return held.error().context(what);
    // Whatever holds the cluster here may change it (jobs hold it through jobs::startJob): its view
    // is read again after.
    clusterViews_.forget(name);
    auto result = withEngine<Value>(fn, what);
    clusterViews_.forget(name);
    return result;
}

Result<model::ClusterStatus> RealDaemonServices::upCluster(const api::UpRequest& request, const model::Progress& progress) {
    auto started = std::chrono::steady_clock::now();
    auto up = withCluster<model::ClusterStatus>(
        request.spec.name, model::ClusterOperation::up, [&](cluster::ClusterManager& manager, docker::EngineClient&) {
            return manager.up(request.spec, std::chrono::seconds(request.timeoutSeconds), progress);
        });
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    metrics::recordUp(metrics_, up ? metrics::UpOutcome::ok : metrics::UpOutcome::failed, seconds);
    return up;
}

Result<model::ClusterStatus> RealDaemonServices::scaleCluster(const api::ScaleRequest& request, const model::Progress& progress) {
    // No queued job starts meanwhile: the scale waits for the running one and applies before the next.
    auto hold = queue_.holdCluster(request.name);
    auto waited = queue_.waitUntilIdle(request.name, std::chrono::seconds(request.timeoutSeconds), [&](std::int64_t id) {
        progress(model::Phase::scale, "waiting for job " + std::to_string(id) +
                                          " to end: the cluster is scaled before the next "
                                          "queued job starts");
    });
    if (!waited)
        return makeError(ErrorCode::timeout, "scale '" + request.name + "': a job still runs after " +
                                                 std::to_string(request.timeoutSeconds) + " s: scale it when the job ends");
    return withCluster<model::ClusterStatus>(
        request.name, model::ClusterOperation::scale, [&](cluster::ClusterManager& manager, docker::EngineClient&) {
            return manager.scale(request.name, request.nodeCount, std::chrono::seconds(request.timeoutSeconds), progress);
        });
}

Result<model::DownReport> RealDaemonServices::downCluster(const api::DownRequest& request, const model::Progress& progress) {
    return withCluster<model::DownReport>(request.name, model::ClusterOperation::down,
                                          [&](cluster::ClusterManager& manager, docker::EngineClient&) {
                                              return manager.down(request.name, request.removeVolume, progress);
                                          });
}

Result<model::ClusterStatus> RealDaemonServices::clusterStatus(const std::string& name) {
    return withEngine<model::ClusterStatus>([&](cluster::ClusterManager& manager, docker::EngineClient&) {
        auto status = manager.status(name);
        if (status) status->events = clusterEvents_.recent(name, 20);
        return status;
    });
}

Result<model::ClusterStatus> RealDaemonServices::clusterAddresses(const std::string& name) {
    return withEngine<model::ClusterStatus>(
        [&](cluster::ClusterManager& manager, docker::EngineClient&) -> Result<model::ClusterStatus> {
            auto members = manager.addresses(name);
            if (!members) return members.error();
            model::ClusterStatus status;
            status.name = name;
            status.members = std::move(*members);
            return status;
        });
}

Result<std::vector<std::string>> RealDaemonServices::listClusters() {
    return withEngine<std::vector<std::string>>(
        [](cluster::ClusterManager& manager, docker::EngineClient&) { return manager.list(); });
}

Result<std::vector<model::Host>> RealDaemonServices::listHosts() {
    return withEngine<std::vector<model::Host>>([](cluster::ClusterManager&, docker::EngineClient& engine) {
        return cluster::listHosts(engine, model::kDefaultImageRef);
    });
}

Result<model::Host> RealDaemonServices::addHost(const api::AddHostRequest& request) {
    return withEngine<model::Host>([&request](cluster::ClusterManager&, docker::EngineClient& engine) {
        auto endpoint = api::requestedEndpoint(request);
        if (!endpoint) return Result<model::Host>(endpoint.error());
        return cluster::addHost(engine, request.name, *endpoint, model::kDefaultImageRef);
    });
}

Result<std::string> RealDaemonServices::joinCommand() {
    return withEngine<std::string>(
        [](cluster::ClusterManager&, docker::EngineClient& engine) { return cluster::joinCommand(engine); });
}

Result<model::JobOutcome> RealDaemonServices::runJob(const model::JobRequest& request, const model::Progress& events,
                                                     const std::function<bool()>& clientPresent) {
    log::debug("run: asked");
    auto id = submitJob(request);
    if (!id) return id.error();
    log::debug("job " + std::to_string(*id) + ": queued");
    events(model::Phase::jobId, std::to_string(*id));
    // A job run (not submitted) is its client's: it leaves the queue, or is stopped, when its client goes.
    auto outcome = queue_.follow(*id, events, clientPresent);
    if (!outcome && clientPresent && !clientPresent()) (void)queue_.cancel(*id, jobs::StopCause::clientGone);
    return outcome;
}

Result<std::int64_t> RealDaemonServices::submitJob(const model::JobRequest& request) {
    if (shuttingDown_) return makeError(ErrorCode::unavailable, "ppcsd is shutting down: run the job again in a moment");
    if (auto fits = checkJobFits(request); !fits) return fits.error();
    return queue_.submit(request);
}

Result<model::JobOutcome> RealDaemonServices::followJob(std::int64_t id, const model::Progress& events,
                                                        const std::function<bool()>& clientPresent) {
    return queue_.follow(id, events, clientPresent);
}

Result<std::vector<model::JobRecord>> RealDaemonServices::jobQueue(const std::string& cluster) {
    constexpr int kRecentShown = 10;
    return queue_.list(cluster, kRecentShown);
}

Status RealDaemonServices::checkJobFits(const model::JobRequest& request) {
    std::optional<model::ClusterStatus> status;
    if (auto view = clusterViews_.find(request.cluster)) status = *view;
    if (!status) {
        // Kept as the cluster's view, as a job's placement keeps its reads (jobs::startJob): the
        // job's placement then need not read the cluster again.
        auto readStarted = clusterViews_.epoch();
        auto read = withEngine<model::ClusterStatus>(
            [&](cluster::ClusterManager& manager, docker::EngineClient&) { return manager.status(request.cluster); }, "run");
        if (!read) return read.error();
        clusterViews_.store(*read, readStarted);
        status = *read;
    }
    // The cluster as it will be once whole: a member being replaced (or not yet scheduled) counts.
    int slots = 0, mostSlots = 0;
    for (const auto& member : status->members) {
        slots += member.mpiSlots;
        mostSlots = std::max(mostSlots, member.mpiSlots);
    }
    int present = static_cast<int>(status->members.size());
    int hosts = std::max(present, status->desiredNodes + 1);
    slots += (hosts - present) * mostSlots;
    if (auto argv = jobs::buildLauncherArgv(status->mpi, request, slots, hosts, "", {request.program}); !argv)
        return argv.error();
    return {};
}

Result<model::JobOutcome> RealDaemonServices::launchJob(const model::JobRequest& request, std::int64_t id, int attempt,
                                                        const jobs::ClusterShare& share, jobs::JobControl& control,
                                                        const model::Progress& events) {
    jobs::JobStartContext context{cluster::clientFactory([this] { return connectEngine(); }),
                                  clusterLocks_,
                                  clusterViews_,
                                  [this](docker::Engine& engine, const std::string& name) {
                                      return cluster::ClusterManager(engine, *runner_, &buildMutex_).status(name);
                                  },
                                  *store_,
                                  runningJobs_,
                                  [this] { return shuttingDown_.load(); }};
    return jobs::startJob(context, request, id, attempt, share, control, events,
                          [&](docker::Engine& engine, const std::string& head, Result<model::JobOutcome>& outcome) {
                              if (outcome) metrics::recordJobEnd(metrics_, outcome->state, outcome->seconds);
                              if (outcome && !request.outputDir.empty())
                                  jobs::copyJobFolderBack(engine, head, request.outputDir, *outcome, events);
                          });
}

Result<std::vector<model::Member>> RealDaemonServices::readyMembers(cluster::ClusterManager& manager, const std::string& name) {
    auto status = manager.status(name);
    if (!status) return status.error();
    for (const auto& member : status->members)
        if (!member.ready)
            return makeError(ErrorCode::unavailable, "cluster '" + name + "' is not ready (" + member.hostname + " is " +
                                                         member.state + "): wait for it or run `ppcs-cluster up` again");
    return status->members;
}

Result<model::BenchReport> RealDaemonServices::benchCluster(const model::BenchRequest& request, const model::Progress& progress) {
    return withCluster<model::BenchReport>(
        request.cluster, model::ClusterOperation::bench,
        [&](cluster::ClusterManager& manager, docker::EngineClient& engine) -> Result<model::BenchReport> {
            auto members = readyMembers(manager, request.cluster);
            if (!members) return members.error();
            std::string stamp = utcTimestampCompact();
            auto report = jobs::BenchRunner(engine).run(request, *members, progress);
            if (!report) return report.error();
            report->startedAt = stamp;
            std::string dir = stateDir_ + "/bench";
            if (auto made = ensurePrivateDirectory(dir); !made) return made.error();
            std::string base = dir + "/" + request.cluster + "-" + stamp;
            report->jsonPath = base + ".json";
            report->svgPath = base + ".svg";
            if (auto saved = writePrivateFile(report->jsonPath, api::encodeBenchReport(*report) + "\n"); !saved)
                return saved.error();
            if (auto saved = writePrivateFile(report->svgPath, jobs::renderBenchSvg(*report)); !saved) return saved.error();
            return report;
        });
}

// Where benchCluster saves its results.
Result<std::vector<jobs::BenchPlot>> RealDaemonServices::benchPlots() { return jobs::listBenchPlots(stateDir_ + "/bench"); }

Result<std::string> RealDaemonServices::benchPlot(const std::string& name) {
    return jobs::readBenchPlot(stateDir_ + "/bench", name);
}

Result<std::vector<model::MemberStats>> RealDaemonServices::clusterStats(const std::string& name) {
    return withEngine<std::vector<model::MemberStats>>(
        [&](cluster::ClusterManager& manager, docker::EngineClient& engine) -> Result<std::vector<model::MemberStats>> {
            auto status = manager.status(name);
            if (!status) return status.error();
            std::vector<model::Member> running;
            for (const auto& member : status->members)
                if (!member.containerId.empty()) running.push_back(member);
            return cluster::collectStats(engine, running);
        });
}

bool RealDaemonServices::cancelJob(const std::string& cluster) { return runningJobs_.stop(cluster, jobs::StopCause::cancelled); }

Result<bool> RealDaemonServices::cancelJobById(std::int64_t id) { return queue_.cancel(id); }

bool RealDaemonServices::stopJobsForShutdown(const std::string& reason, std::chrono::milliseconds limit) {
    // The queue first: a job still being placed when ppcsd stops stays queued, never failed.
    queue_.close();
    shuttingDown_ = true;
    std::size_t asked = runningJobs_.stopAll(jobs::StopCause::daemonStopping, reason, true);
    if (asked > 0) log::info("stopping " + std::to_string(asked) + " running job(s): " + reason);
    return runningJobs_.waitUntilIdle(limit);
}

Result<std::vector<model::JobRecord>> RealDaemonServices::listJobs(int limit) { return store_->list(limit); }

Result<model::PruneReport> RealDaemonServices::pruneJobs(std::optional<int> keep) {
    return store_->prune(keep.value_or(store_->keepFinished()));
}

Result<model::CopyReport> RealDaemonServices::copyFiles(const model::CopyRequest& request, const model::Progress& progress,
                                                        const std::function<bool()>& clientPresent) {
    // No cluster lock: a copy changes only files, as a job's own programs do.
    return withEngine<model::CopyReport>(
        [&](cluster::ClusterManager& manager, docker::EngineClient& engine) -> Result<model::CopyReport> {
            auto members = manager.addresses(request.cluster);
            if (!members) return members.error();
            std::vector<model::Member> running;
            for (const auto& member : *members)
                if (member.state == "running" && !member.containerId.empty()) running.push_back(member);
            if (running.empty() || running.front().role != model::MemberRole::head)
                return makeError(ErrorCode::unavailable, "cluster '" + request.cluster +
                                                             "' has no running head: wait for it or run `ppcs-cluster up` again");
            auto abandon = [&clientPresent] { return clientPresent && !clientPresent(); };
            std::string remote = model::shownSharedPath(request.remotePath);
            if (request.direction == model::CopyDirection::intoCluster) {
                progress(model::Phase::copy, "copying " + request.localPath + " to " + remote);
                return jobs::copyIntoCluster(engine, running, request, abandon);
            }
            auto target = jobs::localCopyTarget(request.localPath, model::sharedBaseName(request.remotePath));
            if (!target) return target.error();
            progress(model::Phase::copy, "copying " + remote + " to " + *target);
            return jobs::copyOutOfCluster(engine, running.front().containerId, request.remotePath, *target, abandon);
        },
        "copy");
}

Result<std::pair<model::JobRecord, std::vector<model::OutputChunk>>> RealDaemonServices::jobLog(std::int64_t id) {
    auto record = store_->get(id);
    if (!record && record.error().code == ErrorCode::notFound)
        return makeError(ErrorCode::usage, "there is no job " + std::to_string(id) + " (see `ppcs-cluster jobs`)");
    if (!record) return record.error();
    auto output = store_->output(id);
    if (!output) return output.error();
    return std::make_pair(*record, *output);
}

Result<std::unique_ptr<jobs::ShellProcess>> RealDaemonServices::openShell(const model::ShellRequest& request) {
    if (shuttingDown_) return makeError(ErrorCode::unavailable, "ppcsd is shutting down: try again in a moment");
    // No lock on the cluster: a shell is a user at a terminal, beside jobs, scale and heals.
    return withEngine<std::unique_ptr<jobs::ShellProcess>>(
        [&](cluster::ClusterManager& manager, docker::EngineClient& engine) -> Result<std::unique_ptr<jobs::ShellProcess>> {
            auto status = manager.status(request.cluster);
            if (!status) return status.error();
            const model::Member* member = nullptr;
            for (const auto& candidate : status->members)
                if (request.node == 0 ? candidate.role == model::MemberRole::head
                                      : (candidate.role == model::MemberRole::node && candidate.taskSlot == request.node))
                    member = &candidate;
            std::string name = request.node == 0 ? "the head" : "node " + std::to_string(request.node);
            if (!member)
                return makeError(ErrorCode::usage,
                                 "cluster '" + request.cluster + "' has no " + name + " (see `ppcs-cluster status`)");
            if (member->containerId.empty() || member->state != "running")
                return makeError(ErrorCode::unavailable,
                                 name + " of cluster '" + request.cluster + "' is not running (" + member->state + ")");
            // A member on another docker host is reached through that host's engine.
            auto hosts = cluster::HostEngines::discover(engine);
            std::shared_ptr<docker::Engine> hostEngine = std::make_shared<docker::EngineClient>(engine);
            if (hosts && hosts->engineFor(member->dockerHostId) != &engine)
                hostEngine = hosts->remoteEngine(member->dockerHostId);
            if (!hostEngine)
                return makeError(ErrorCode::unavailable, name + " of cluster '" + request.cluster +
                                                             "' runs on a docker host ppcsd cannot reach: " +
                                                             hosts->unreachableReason(member->dockerHostId));
            return jobs::openShell(hostEngine, member->containerId, request);
        },
        "shell on '" + request.cluster + "'");
}

void RealDaemonServices::requestStop() {
    // The signal thread owns shutdown; sending ourselves SIGTERM takes the same path as `kill`.
    ::kill(::getpid(), SIGTERM);
}

}  // namespace ppcs::daemon
