#pragma once
// The real DaemonServices: connects to the Docker engine per operation (so ppcsd survives an
// engine restart) and runs image builds.

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "api/server.h"
#include "cluster/cluster_manager.h"
#include "cluster/cluster_view.h"
#include "cluster/node_watch.h"
#include "image/image_builder.h"
#include "jobs/job_queue.h"
#include "jobs/job_runner.h"
#include "jobs/job_start.h"
#include "jobs/job_store.h"
#include "metrics/registry.h"

namespace ppcs::daemon {

class RealDaemonServices final : public api::DaemonServices {
public:
    RealDaemonServices(std::string stateDir, std::unique_ptr<jobs::JobStore> store);
    ~RealDaemonServices() override;

    api::DaemonStatus status() override;
    Result<model::BuildOutcome> buildImage(const model::BuildRequest& request, const model::BuildProgress& progress) override;
    Result<model::ClusterStatus> upCluster(const api::UpRequest& request, const model::Progress& progress) override;
    Result<model::ClusterStatus> scaleCluster(const api::ScaleRequest& request, const model::Progress& progress) override;
    Result<model::DownReport> downCluster(const api::DownRequest& request, const model::Progress& progress) override;
    Result<model::ClusterStatus> clusterStatus(const std::string& name) override;
    Result<model::ClusterStatus> clusterAddresses(const std::string& name) override;
    Result<std::vector<std::string>> listClusters() override;
    Result<std::vector<model::Host>> listHosts() override;
    Result<model::Host> addHost(const api::AddHostRequest& request) override;
    Result<std::string> joinCommand() override;
    Result<model::BenchReport> benchCluster(const model::BenchRequest& request, const model::Progress& progress) override;
    Result<std::vector<model::MemberStats>> clusterStats(const std::string& name) override;
    Result<model::JobOutcome> runJob(const model::JobRequest& request, const model::Progress& events,
                                     const std::function<bool()>& clientPresent) override;
    Result<std::int64_t> submitJob(const model::JobRequest& request) override;
    Result<model::JobOutcome> followJob(std::int64_t id, const model::Progress& events,
                                        const std::function<bool()>& clientPresent) override;
    Result<std::vector<model::JobRecord>> jobQueue(const std::string& cluster) override;
    bool cancelJob(const std::string& cluster) override;
    Result<bool> cancelJobById(std::int64_t id) override;
    Result<std::vector<model::JobRecord>> listJobs(int limit) override;
    Result<std::pair<model::JobRecord, std::vector<model::OutputChunk>>> jobLog(std::int64_t id) override;
    Result<model::PruneReport> pruneJobs(std::optional<int> keep) override;
    Result<model::CopyReport> copyFiles(const model::CopyRequest& request, const model::Progress& progress,
                                        const std::function<bool()>& clientPresent) override;
    void requestStop() override;
    Result<std::unique_ptr<jobs::ShellProcess>> openShell(const model::ShellRequest& request) override;
    Result<std::vector<jobs::BenchPlot>> benchPlots() override;
    Result<std::string> benchPlot(const std::string& name) override;
    // ppcsd's metrics (metrics/ppcsd_metrics.h), gauges read now (daemon/metrics_scrape.cpp).
    Result<std::string> metrics() override;
    // Shutdown's first step: refuses new jobs, asks every running job to stop (recorded
    // "stopped" with the reason) and waits for them, at most `limit`; false when some still run.
    bool stopJobsForShutdown(const std::string& reason, std::chrono::milliseconds limit);
    // Stops, in the background, the processes of jobs the previous daemon left running.
    void stopOrphanedJobs();
    // Starts following node deaths (see cluster/node_watch.h) and the events that keep the
    // clusters' views for `run` (cluster/cluster_view.h), and starting queued jobs; stopped by the
    // destructor.
    void watchNodes() {
        nodeWatcher_.start();
        viewWatcher_.start();
        queue_.start();
    }

private:
    // Every engine connection of ppcsd: its failed calls are counted (daemon/metrics_scrape.h).
    Result<docker::EngineClient> connectEngine();
    // The cluster's members when every one is ready; a usage error naming one that is not.
    // Every member, all ready (bench needs the whole cluster).
    Result<std::vector<model::Member>> readyMembers(cluster::ClusterManager& manager, const std::string& name);
    // A job that left its queue, from its placement to its end (jobs::JobLauncher).
    Result<model::JobOutcome> launchJob(const model::JobRequest& request, std::int64_t id, int attempt,
                                        const jobs::ClusterShare& share, jobs::JobControl& control,
                                        const model::Progress& events);
    // Whether the request can run on its cluster once whole (it exists; NP fits its slots): checked
    // before a job is queued, so that bad input is refused at once.
    Status checkJobFits(const model::JobRequest& request);
    // Connects to the engine and runs fn(manager, engine), without any lock: for reads. `what`,
    // when given, is put in front of a failure to connect.
    template <class Value, class Fn>
    Result<Value> withEngine(Fn fn, const std::string& what = "");
    // Connects to the engine and runs fn with a ClusterManager, holding the cluster's lock.
    template <class Value, class Fn>
    Result<Value> withCluster(const std::string& name, model::ClusterOperation operation, Fn fn);

    std::string stateDir_;
    std::chrono::steady_clock::time_point started_;
    metrics::Registry metrics_;  // counters and histograms; before everything that feeds it
    std::unique_ptr<image::ProcessRunner> runner_;
    std::mutex buildMutex_;
    cluster::OperationLocks clusterLocks_;
    std::unique_ptr<jobs::JobStore> store_;
    jobs::RunningJobs runningJobs_;
    std::atomic<bool> shuttingDown_{false};
    std::vector<std::thread> cleaners_;
    cluster::ClusterEvents clusterEvents_;
    cluster::NodeWatcher nodeWatcher_;
    cluster::ClusterViews clusterViews_;  // what `run` knows of each cluster between requests
    cluster::ClusterViewWatcher viewWatcher_;
    jobs::JobQueue queue_;  // last: its workers use everything above
};

}  // namespace ppcs::daemon
