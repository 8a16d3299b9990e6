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
#include "cluster/node_watch.h"
#include "image/image_builder.h"
#include "jobs/job_runner.h"
#include "jobs/job_store.h"

namespace ppcs::daemon {

class RealDaemonServices final : public api::DaemonServices {
public:
    RealDaemonServices(std::string stateDir, std::unique_ptr<jobs::JobStore> store);
    ~RealDaemonServices() override;

    api::DaemonStatus status() override;
    Result<image::BuildOutcome> buildImage(const image::BuildRequest& request, const image::BuildProgress& progress) override;
    Result<cluster::ClusterStatus> upCluster(const api::UpRequest& request, const cluster::Progress& progress) override;
    Result<cluster::ClusterStatus> scaleCluster(const api::ScaleRequest& request, const cluster::Progress& progress) override;
    Result<cluster::DownReport> downCluster(const api::DownRequest& request, const cluster::Progress& progress) override;
    Result<cluster::ClusterStatus> clusterStatus(const std::string& name) override;
    Result<cluster::ClusterStatus> clusterAddresses(const std::string& name) override;
    Result<std::vector<std::string>> listClusters() override;
    Result<std::vector<cluster::Host>> listHosts() override;
    Result<cluster::Host> addHost(const api::AddHostRequest& request) override;
    Result<std::string> joinCommand() override;
    Result<jobs::BenchReport> benchCluster(const jobs::BenchRequest& request, const cluster::Progress& progress) override;
    Result<std::vector<cluster::MemberStats>> clusterStats(const std::string& name) override;
    Result<jobs::JobOutcome> runJob(const jobs::JobRequest& request, const jobs::JobEvents& events,
                                    const std::function<bool()>& clientPresent) override;
    bool cancelJob(const std::string& cluster) override;
    Result<bool> cancelJobById(std::int64_t id) override;
    Result<std::vector<jobs::JobRecord>> listJobs(int limit) override;
    Result<std::pair<jobs::JobRecord, std::vector<jobs::OutputChunk>>> jobLog(std::int64_t id) override;
    Result<jobs::PruneReport> pruneJobs(std::optional<int> keep) override;
    Result<jobs::CopyReport> copyFiles(const jobs::CopyRequest& request, const cluster::Progress& progress,
                                       const std::function<bool()>& clientPresent) override;
    void requestStop() override;
    Result<std::unique_ptr<jobs::ShellProcess>> openShell(const jobs::ShellRequest& request) override;
    // Shutdown's first step: refuses new jobs, asks every running job to stop (recorded
    // "stopped" with the reason) and waits for them, at most `limit`; false when some still run.
    bool stopJobsForShutdown(const std::string& reason, std::chrono::milliseconds limit);
    // Stops, in the background, the processes of jobs the previous daemon left running.
    void stopOrphanedJobs();
    // Starts following node deaths (see cluster/node_watch.h); stopped by the destructor.
    void watchNodes() { nodeWatcher_.start(); }

private:
    // The cluster's members when every one is ready; a usage error naming one that is not.
    // Every member, all ready (bench needs the whole cluster).
    Result<std::vector<cluster::Member>> readyMembers(cluster::ClusterManager& manager, const std::string& name);
    // The members a job runs on (jobs/placement.h): at once when it fits the ready ones; else it
    // waits, saying for what, until the cluster has healed, its --timeout, its client goes or
    // ppcsd stops.
    Result<std::vector<cluster::Member>> membersForJob(cluster::ClusterManager& manager, const jobs::JobRequest& request,
                                                       const jobs::JobEvents& events, const std::function<bool()>& clientPresent);
    // Connects to the engine and runs fn(manager, engine), without any lock: for reads. `what`,
    // when given, is put in front of a failure to connect.
    template <class Value, class Fn>
    Result<Value> withEngine(Fn fn, const std::string& what = "");
    // Connects to the engine and runs fn with a ClusterManager, holding the cluster's lock.
    template <class Value, class Fn>
    Result<Value> withCluster(const std::string& name, const std::string& operation, Fn fn);

    std::string stateDir_;
    std::chrono::steady_clock::time_point started_;
    std::unique_ptr<image::ProcessRunner> runner_;
    std::mutex buildMutex_;
    cluster::OperationLocks clusterLocks_;
    std::unique_ptr<jobs::JobStore> store_;
    jobs::RunningJobs runningJobs_;
    std::atomic<bool> shuttingDown_{false};
    std::vector<std::thread> cleaners_;
    cluster::ClusterEvents clusterEvents_;
    cluster::NodeWatcher nodeWatcher_;
};

}  // namespace ppcs::daemon
