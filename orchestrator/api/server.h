#pragma once
// ppcsd's HTTP API server: routes, token check, error -> HTTP status mapping. No business logic:
// every route calls DaemonServices. Listens on 127.0.0.1 only.

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "api/bench_messages.h"
#include "api/cluster_messages.h"
#include "api/file_messages.h"
#include "api/host_messages.h"
#include "api/job_messages.h"
#include "api/messages.h"
#include "api/operations.h"
#include "common/result.h"
#include "jobs/bench_plots.h"
#include "jobs/shell_session.h"

namespace ppcs::api {

class Dashboard;
class GuardedHttpServer;
class ShellServer;
class StreamSlots;

// What ppcsd does, as the API server sees it. The daemon provides the real implementation;
// tests provide fakes.
class DaemonServices {
public:
    virtual ~DaemonServices() = default;
    virtual DaemonStatus status() = 0;
    virtual Result<model::BuildOutcome> buildImage(const model::BuildRequest& request, const model::BuildProgress& progress) = 0;
    virtual Result<model::ClusterStatus> upCluster(const UpRequest& request, const model::Progress& progress) = 0;
    virtual Result<model::ClusterStatus> scaleCluster(const ScaleRequest& request, const model::Progress& progress) = 0;
    virtual Result<model::DownReport> downCluster(const DownRequest& request, const model::Progress& progress) = 0;
    virtual Result<model::ClusterStatus> clusterStatus(const std::string& name) = 0;
    // Members and addresses only, no readiness: cheap, for `ips`.
    virtual Result<model::ClusterStatus> clusterAddresses(const std::string& name) = 0;
    virtual Result<std::vector<std::string>> listClusters() = 0;
    virtual Result<std::vector<model::Host>> listHosts() = 0;
    virtual Result<model::Host> addHost(const AddHostRequest& request) = 0;
    virtual Result<std::string> joinCommand() = 0;
    virtual Result<model::BenchReport> benchCluster(const model::BenchRequest& request, const model::Progress& progress) = 0;
    virtual Result<std::vector<model::MemberStats>> clusterStats(const std::string& name) = 0;
    // clientPresent() turns false once the client that asked for the job closed or reset its
    // connection; it may be called from any thread, but only while runJob runs.
    virtual Result<model::JobOutcome> runJob(const model::JobRequest& request, const model::Progress& events,
                                             const std::function<bool()>& clientPresent) = 0;
    // Queues a job; its id at once.
    virtual Result<std::int64_t> submitJob(const model::JobRequest&) {
        return makeError(ErrorCode::unavailable, "this ppcsd queues no jobs");
    }
    // A job's events from its submission to its end, then its outcome (jobs/job_queue.h);
    // abandoned once clientPresent() turns false.
    virtual Result<model::JobOutcome> followJob(std::int64_t, const model::Progress&, const std::function<bool()>&) {
        return makeError(ErrorCode::unavailable, "this ppcsd queues no jobs");
    }
    // Running, queued and recent jobs of a cluster (every cluster when empty).
    virtual Result<std::vector<model::JobRecord>> jobQueue(const std::string&) {
        return makeError(ErrorCode::unavailable, "this ppcsd queues no jobs");
    }
    // False when no job runs on the cluster.
    virtual bool cancelJob(const std::string& cluster) = 0;
    // False when the job exists but does not run; a usage error when there is no such job.
    virtual Result<bool> cancelJobById(std::int64_t id) = 0;
    virtual Result<std::vector<model::JobRecord>> listJobs(int limit) = 0;
    virtual Result<std::pair<model::JobRecord, std::vector<model::OutputChunk>>> jobLog(std::int64_t id) = 0;
    // Deletes finished jobs beyond the newest `keep` (ppcsd's setting when none is given).
    virtual Result<model::PruneReport> pruneJobs(std::optional<int> keep) = 0;
    // Copies between ppcsd's host and the cluster's shared folder (jobs/shared_copy.h); abandoned
    // once clientPresent() turns false.
    virtual Result<model::CopyReport> copyFiles(const model::CopyRequest& request, const model::Progress& progress,
                                                const std::function<bool()>& clientPresent) = 0;
    // Asks the daemon to shut down once the current reply is sent.
    virtual void requestStop() = 0;
    // Starts a shell session on a cluster member (see jobs/shell_session.h); the API server relays
    // it and abandons it when its client goes.
    virtual Result<std::unique_ptr<jobs::ShellProcess>> openShell(const model::ShellRequest&) {
        return makeError(ErrorCode::unavailable, "this ppcsd opens no shells");
    }
    // The plots `bench` saved (jobs/bench_plots.h), newest first; one plot's SVG by its name.
    virtual Result<std::vector<jobs::BenchPlot>> benchPlots() {
        return makeError(ErrorCode::unavailable, "this ppcsd keeps no bench plots");
    }
    virtual Result<std::string> benchPlot(const std::string&) {
        return makeError(ErrorCode::unavailable, "this ppcsd keeps no bench plots");
    }
    // ppcsd's metrics in Prometheus' text format (metrics/ppcsd_metrics.h). A scrape is cheap
    // and fails only when ppcsd cannot render at all: what it could not read is left out.
    virtual Result<std::string> metrics() { return makeError(ErrorCode::unavailable, "this ppcsd serves no metrics"); }
};

// What one ppcsd serves at once (see api/http_server.h for how connections are guarded).
struct ServerLimits {
    std::size_t maxStreams = 32;  // streamed operations at once; beyond, 503
    std::size_t maxConnectionThreads = 128;
    std::chrono::milliseconds headerDeadline{5000};
    std::size_t maxHeaderBytes = 16 * 1024;
    std::chrono::milliseconds heartbeatInterval{2000};  // a silent stream sends a heartbeat this often
    std::size_t maxShells = 16;                         // `shell` sessions at once; beyond, 503
};

class ApiServer {
public:
    // Every request must carry "Authorization: Bearer <token>"; others get 401. GET /metrics
    // also takes metricsToken (when not empty), which authorises nothing else. The dashboard's
    // pages (api/dashboard_server.h) also take its session cookie, and /login its login code.
    ApiServer(DaemonServices& services, std::string token, ServerLimits limits = {}, std::string metricsToken = "");
    ~ApiServer();
    ApiServer(const ApiServer&) = delete;
    ApiServer& operator=(const ApiServer&) = delete;

    // Binds 127.0.0.1:port (0 picks a free port) and returns the bound port.
    Result<int> bind(int port);
    // Serves until stop(); returns at once if bind() did not succeed.
    void serve();
    // Safe from any thread, and before serve().
    void stop();
    // The operations this server answers (the shell's among them): every one of kOperations.
    const std::vector<OperationInfo>& operations() const;

private:
    void installRoutes();
    void installGuards();  // token check, body limit, error and exception handlers
    void installDaemonRoutes();
    void installClusterRoutes();  // with the image build, which `up` also does
    void installJobRoutes();
    void installHostRoutes();
    void installMetricsRoute();
    void installDashboard();  // the login code operation, then the dashboard's own routes
    // Whether the request may pass: the API token anywhere, the metrics token on /metrics only.
    bool authorised(const std::string& method, const std::string& path, const std::string& authorization) const;

    DaemonServices& services_;
    std::string token_;
    std::string metricsToken_;
    std::unique_ptr<StreamSlots> streams_;
    std::unique_ptr<ShellServer> shells_;
    std::unique_ptr<Dashboard> dashboard_;
    std::unique_ptr<GuardedHttpServer> server_;
    std::vector<OperationInfo> routed_;
};

}  // namespace ppcs::api
