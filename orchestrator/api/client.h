#pragma once
// The typed client the CLI uses to talk to ppcsd. One method per operation of operations.h
// (the shell's is openShellConnection, shell_client.h); errors come back as the
// daemon sent them (code and message), or as ErrorCode::unavailable when ppcsd cannot be reached.

#include <chrono>
#include <cstdint>
#include <string>

#include "api/bench_messages.h"
#include "api/cluster_messages.h"
#include "api/file_messages.h"
#include "api/host_messages.h"
#include "api/job_messages.h"
#include "api/messages.h"
#include "api/operations.h"
#include "common/result.h"

namespace ppcs::api {

// Where a running ppcsd listens, from the files it writes into its state directory.
struct Endpoint {
    int port = 0;
    int pid = 0;
    std::string token;
};

// File names inside the state directory.
inline constexpr const char* kEndpointFile = "ppcsd.json";         // {"port": N, "pid": P}
inline constexpr const char* kTokenFile = "token";                 // the bearer token, mode 0600
inline constexpr const char* kMetricsTokenFile = "metrics-token";  // read-only: GET /metrics only, mode 0600
inline constexpr const char* kLockFile = "ppcsd.lock";
inline constexpr const char* kLogFile = "ppcsd.log";

std::string encodeEndpoint(const Endpoint& endpoint);  // without the token
// Reads ppcsd.json and the token; ErrorCode::notFound when ppcsd has not written them.
Result<Endpoint> readEndpoint(const std::string& stateDir);

// How long a stream may stay silent: ppcsd sends a heartbeat every ~2 s while an operation is
// quiet, so silence this long means ppcsd stopped answering.
inline constexpr std::chrono::seconds kStreamSilenceLimit{30};
// How long a plain (not streamed) request may take at most: connecting, sending and each wait for
// the reply. Shell completion asks with a much shorter one.
inline constexpr std::chrono::milliseconds kRequestLimit{30000};

class ApiClient {
public:
    explicit ApiClient(Endpoint endpoint, std::chrono::seconds streamSilenceLimit = kStreamSilenceLimit,
                       std::chrono::milliseconds requestLimit = kRequestLimit)
        : endpoint_(std::move(endpoint)), streamSilenceLimit_(streamSilenceLimit), requestLimit_(requestLimit) {}

    Result<VersionInfo> version();
    Result<DaemonStatus> status();
    Status stop();
    // Streams progress to progress() and returns the outcome the daemon reported last.
    Result<model::BuildOutcome> build(const model::BuildRequest& request, const model::BuildProgress& progress);

    Result<model::ClusterStatus> up(const UpRequest& request, const model::Progress& progress);
    Result<model::ClusterStatus> scale(const ScaleRequest& request, const model::Progress& progress);
    Result<model::DownReport> down(const DownRequest& request, const model::Progress& progress);
    Result<model::ClusterStatus> clusterStatus(const std::string& name);
    Result<model::ClusterStatus> clusterAddresses(const std::string& name);
    Result<std::vector<std::string>> listClusters();
    Result<std::vector<model::Host>> listHosts();
    Result<model::Host> addHost(const AddHostRequest& request);
    Result<std::string> joinCommand();
    // A one-time login code for the dashboard.
    Result<DashboardCode> dashboardCode();
    // GET /metrics: ppcsd's metrics in Prometheus' text format.
    Result<std::string> metrics();
    Result<model::BenchReport> bench(const model::BenchRequest& request, const model::Progress& progress);
    Result<std::vector<model::MemberStats>> clusterStats(const std::string& name);
    Result<model::JobOutcome> run(const model::JobRequest& request, const model::Progress& events);
    // Queues a job; its id.
    Result<std::int64_t> submit(const model::JobRequest& request);
    // Streams a job's events (from its submission) to events and returns its outcome.
    Result<model::JobOutcome> follow(std::int64_t id, const model::Progress& events);
    Result<std::vector<model::JobRecord>> jobQueue(const std::string& cluster);
    Result<bool> cancelJob(const std::string& cluster);
    // False when the job does not run; a usage error when there is no such job.
    Result<bool> cancelJobById(std::int64_t id);
    Result<std::vector<model::JobRecord>> listJobs(int limit);
    Result<std::pair<model::JobRecord, std::vector<model::OutputChunk>>> jobLog(std::int64_t id);
    // Deletes finished jobs beyond the newest `keep` (ppcsd's setting when none is given).
    Result<model::PruneReport> pruneJobs(std::optional<int> keep);
    // Streams the copy's progress to progress() and returns what it carried.
    Result<model::CopyReport> copy(const model::CopyRequest& request, const model::Progress& progress);

private:
    // Sends request to the operation's path and reads its reply: a streamed one through
    // streamOperation, with its progress to progress().
    template <class Request, class Response>
    Result<Response> call(const Operation<Request, Response>& operation, const Request& request,
                          const model::Progress& progress = nullptr);
    // POSTs body and reads a stream of events: progress to progress(), the result's JSON returned.
    // Fails with ErrorCode::unavailable when ppcsd sends nothing for streamSilenceLimit_.
    Result<std::string> streamOperation(const std::string& path, const std::string& body, const model::Progress& progress);
    Result<std::string> get(const std::string& path);
    Result<std::string> post(const std::string& path, const std::string& body);

    Endpoint endpoint_;
    std::chrono::seconds streamSilenceLimit_;
    std::chrono::milliseconds requestLimit_;
};

}  // namespace ppcs::api
