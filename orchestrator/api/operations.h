#pragma once
// Every operation of ppcsd's HTTP API, declared once: its method, its path (with its parameter
// written as in docs/api.yaml, e.g. /v1/jobs/{id}), what its reply is (one JSON document, a stream
// of events, an upgraded connection), and how its request and its response travel. The routes
// (api/server.cpp, api/shell_server.cpp) and the typed client (api/client.cpp,
// api/shell_client.cpp) both work from these descriptions: a path is written once, and the client
// cannot send one operation's request to another operation's path (Operation<Request, Response>).
//
// A new operation: declare it below, add it to kTypedOperations (the checks and the tests go
// through that list), route it in ApiServer (a Router call), call it from ApiClient (a call()),
// and describe it in docs/api.yaml. tests/unit/api/operations_test.cpp checks that the document,
// the list and the routes of a real ApiServer agree.
//
// One operation lies outside /v1/: GET /metrics (kMetrics), a scrape target in Prometheus' text
// format, at the path Prometheus looks for by default. It is still declared, routed and checked
// here like the rest; checks::wellFormed allows a path outside /v1/ for a text reply only.
//
// Every request needs "Authorization: Bearer <token>" (for /metrics, the API token or the
// read-only metrics token: see ApiServer). Errors are
// {"error": {"code": "<ErrorCode name>", "message": "..."}} with a matching HTTP status. A stream
// is newline-delimited StreamEvents (messages.h): progress lines, heartbeats while the operation
// is silent, then one "result" or "error".

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "api/bench_messages.h"
#include "api/cluster_messages.h"
#include "api/file_messages.h"
#include "api/host_messages.h"
#include "api/job_messages.h"
#include "api/messages.h"
#include "api/shell_protocol.h"
#include "common/result.h"

namespace ppcs::api {

enum class Method { get, post };

constexpr std::string_view methodName(Method method) { return method == Method::get ? "GET" : "POST"; }

// What ppcsd answers, when it does not answer with an error.
enum class Reply {
    json,       // 200 with one JSON document
    progress,   // 200 application/x-ndjson: progress events, then the result
    jobOutput,  // the same stream, whose progress events carry the job's id, its output and warnings
    upgraded,   // 101 Switching Protocols, then the frames of api/shell_protocol.h
    text,       // 200 text/plain; version=0.0.4: Prometheus' text exposition format
};

// Whether the reply is a stream of events (read by ApiClient::streamOperation).
constexpr bool streamed(Reply reply) { return reply == Reply::progress || reply == Reply::jobOutput; }

// The Content-Type of a text reply.
inline constexpr std::string_view kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

// What describes an operation whatever its types: the row of kOperations.
struct OperationInfo {
    std::string_view name;  // docs/api.yaml's operationId; the name of a stream in ppcsd's log
    Method method;
    std::string_view path;  // at most one parameter, "{...}", matching one path segment
    Reply reply;
};

// A request as it travels: the value of the path's parameter, the query and the body.
struct WireRequest {
    std::string parameter;
    std::map<std::string, std::string> query;  // values sent as they are: numbers only
    std::string body;                          // JSON; not sent with a GET
};

template <class Request, class Response>
struct Operation : OperationInfo {
    WireRequest (*writeRequest)(const Request&);
    Result<Request> (*readRequest)(const WireRequest&);  // usage errors for what the route refuses
    std::string (*writeResponse)(const Response&);       // null for an upgraded reply
    Result<Response> (*readResponse)(std::string_view);  // null for an upgraded reply
};

// The requests that carry no body.
struct NoRequest {};  // nothing at all (a POST sends "{}", which ppcsd does not read)
struct ClusterName {  // the {name} of /v1/clusters/{name}...
    std::string name;
};
struct JobId {  // the {id} of /v1/jobs/{id}
    std::int64_t id = 0;
};
struct JobListQuery {  // GET /v1/jobs?limit=N, newest first
    int limit = 50;
};
struct QueueQuery {  // GET /v1/queue?cluster=NAME (every cluster without it)
    std::string cluster;
};
struct SubmitReply {  // {"job_id": N}
    std::int64_t id = 0;
};

// The replies that have no message of their own elsewhere.
struct StopReply {};  // {"stopping":true}
struct ClusterStatsReply {
    std::string cluster;  // written by ppcsd; left empty when read back
    std::vector<model::MemberStats> members;
};
using JobLog = std::pair<model::JobRecord, std::vector<model::OutputChunk>>;
struct Upgraded {};  // the connection itself

// How each kind of request and reply travels (the functions the operations below point to).
namespace wire {

template <class Request, std::string (*encode)(const Request&)>
WireRequest body(const Request& request) {
    return WireRequest{{}, {}, encode(request)};
}
template <class Request, Result<Request> (*decode)(std::string_view)>
Result<Request> fromBody(const WireRequest& wire) {
    return decode(wire.body);
}

inline WireRequest noRequest(const NoRequest&) { return WireRequest{{}, {}, "{}"}; }
inline Result<NoRequest> readNoRequest(const WireRequest&) { return NoRequest{}; }

inline WireRequest clusterName(const ClusterName& request) { return WireRequest{request.name, {}, {}}; }
inline Result<ClusterName> readClusterName(const WireRequest& wire) {
    if (auto valid = model::validateClusterName(wire.parameter); !valid) return valid.error();
    return ClusterName{wire.parameter};
}

inline WireRequest jobId(const JobId& request) { return WireRequest{std::to_string(request.id), {}, {}}; }
inline Result<JobId> readJobId(const WireRequest& wire) {
    const std::string& text = wire.parameter;
    if (text.empty() || text.size() > 18 || text.find_first_not_of("0123456789") != std::string::npos)
        return makeError(ErrorCode::usage, "job id '" + text + "' is not a number");
    return JobId{std::stoll(text)};
}

inline WireRequest jobListQuery(const JobListQuery& request) {
    return WireRequest{{}, {{"limit", std::to_string(request.limit)}}, {}};
}
inline Result<JobListQuery> readJobListQuery(const WireRequest& wire) {
    JobListQuery query;
    auto limit = wire.query.find("limit");
    if (limit == wire.query.end()) return query;
    const std::string& text = limit->second;
    if (text.empty() || text.size() > 5 || text.find_first_not_of("0123456789") != std::string::npos || std::stoi(text) < 1)
        return makeError(ErrorCode::usage, "limit must be a number from 1 to 99999");
    query.limit = std::stoi(text);
    return query;
}

inline WireRequest queueQuery(const QueueQuery& request) {
    WireRequest wire;
    if (!request.cluster.empty()) wire.query["cluster"] = request.cluster;
    return wire;
}
inline Result<QueueQuery> readQueueQuery(const WireRequest& wire) {
    auto cluster = wire.query.find("cluster");
    if (cluster == wire.query.end()) return QueueQuery{};
    if (auto valid = model::validateClusterName(cluster->second); !valid) return valid.error();
    return QueueQuery{cluster->second};
}

inline std::string submitReply(const SubmitReply& reply) { return encodeSubmitReply(reply.id); }
inline Result<SubmitReply> readSubmitReply(std::string_view body) {
    auto id = decodeSubmitReply(body);
    if (!id) return id.error();
    return SubmitReply{*id};
}

// The cluster travels in the path, the rest in the body.
inline WireRequest shellRequest(const model::ShellRequest& request) {
    return WireRequest{request.cluster, {}, encodeShellRequest(request)};
}
inline Result<model::ShellRequest> readShellRequest(const WireRequest& wire) {
    return decodeShellRequest(wire.body, wire.parameter);
}

inline std::string stopReply(const StopReply&) { return R"({"stopping":true})"; }
inline Result<StopReply> readStopReply(std::string_view) { return StopReply{}; }  // nothing in it to read

inline std::string clusterStats(const ClusterStatsReply& reply) { return encodeClusterStats(reply.cluster, reply.members); }
inline Result<ClusterStatsReply> readClusterStats(std::string_view body) {
    auto members = decodeClusterStats(body);
    if (!members) return members.error();
    return ClusterStatsReply{{}, std::move(*members)};
}

inline std::string cancelReply(const bool& cancelled) { return encodeCancelReply(cancelled); }

inline std::string jobLog(const JobLog& log) { return encodeJobLog(log.first, log.second); }

// A text reply travels as it is.
inline std::string text(const std::string& reply) { return reply; }
inline Result<std::string> readText(std::string_view body) { return std::string(body); }

}  // namespace wire

// The request target of an operation: its path with the parameter in place, then the query.
inline std::string targetOf(std::string_view path, const WireRequest& wire) {
    std::string target(path);
    if (auto open = target.find('{'); open != std::string::npos)
        target.replace(open, target.find('}', open) - open + 1, wire.parameter);
    char separator = '?';
    for (const auto& [key, value] : wire.query) {
        target += separator + key + "=" + value;
        separator = '&';
    }
    return target;
}

// The regular expression that matches an operation's path; its one group is the parameter.
inline std::string routePattern(std::string_view path) {
    std::string pattern(path);
    if (auto open = pattern.find('{'); open != std::string::npos)
        pattern.replace(open, pattern.find('}', open) - open + 1, "([^/]+)");
    return pattern;
}

// The daemon itself.
inline constexpr Operation<NoRequest, VersionInfo> kVersion{
    {"version", Method::get, "/v1/version", Reply::json}, wire::noRequest, wire::readNoRequest, encodeVersion, decodeVersion};
inline constexpr Operation<NoRequest, DaemonStatus> kDaemonStatus{{"daemonStatus", Method::get, "/v1/daemon", Reply::json},
                                                                  wire::noRequest,
                                                                  wire::readNoRequest,
                                                                  encodeDaemonStatus,
                                                                  decodeDaemonStatus};
inline constexpr Operation<NoRequest, StopReply> kStopDaemon{{"stopDaemon", Method::post, "/v1/daemon/stop", Reply::json},
                                                             wire::noRequest,
                                                             wire::readNoRequest,
                                                             wire::stopReply,
                                                             wire::readStopReply};

// Images and clusters.
inline constexpr Operation<model::BuildRequest, model::BuildOutcome> kBuildImage{
    {"build", Method::post, "/v1/images/build", Reply::progress},
    wire::body<model::BuildRequest, encodeBuildRequest>,
    wire::fromBody<model::BuildRequest, decodeBuildRequest>,
    encodeBuildOutcome,
    decodeBuildOutcome};
inline constexpr Operation<UpRequest, model::ClusterStatus> kUpCluster{{"up", Method::post, "/v1/clusters/up", Reply::progress},
                                                                       wire::body<UpRequest, encodeUpRequest>,
                                                                       wire::fromBody<UpRequest, decodeUpRequest>,
                                                                       encodeClusterStatus,
                                                                       decodeClusterStatus};
inline constexpr Operation<ScaleRequest, model::ClusterStatus> kScaleCluster{
    {"scale", Method::post, "/v1/clusters/scale", Reply::progress},
    wire::body<ScaleRequest, encodeScaleRequest>,
    wire::fromBody<ScaleRequest, decodeScaleRequest>,
    encodeClusterStatus,
    decodeClusterStatus};
inline constexpr Operation<DownRequest, model::DownReport> kDownCluster{
    {"down", Method::post, "/v1/clusters/down", Reply::progress},
    wire::body<DownRequest, encodeDownRequest>,
    wire::fromBody<DownRequest, decodeDownRequest>,
    encodeDownReport,
    decodeDownReport};
inline constexpr Operation<model::BenchRequest, model::BenchReport> kBenchCluster{
    {"bench", Method::post, "/v1/clusters/bench", Reply::progress},
    wire::body<model::BenchRequest, encodeBenchRequest>,
    wire::fromBody<model::BenchRequest, decodeBenchRequest>,
    encodeBenchReport,
    decodeBenchReport};
inline constexpr Operation<NoRequest, std::vector<std::string>> kListClusters{
    {"listClusters", Method::get, "/v1/clusters", Reply::json},
    wire::noRequest,
    wire::readNoRequest,
    encodeClusterList,
    decodeClusterList};
inline constexpr Operation<ClusterName, model::ClusterStatus> kClusterStatus{
    {"clusterStatus", Method::get, "/v1/clusters/{name}", Reply::json},
    wire::clusterName,
    wire::readClusterName,
    encodeClusterStatus,
    decodeClusterStatus};
// Members and addresses only, in the order of the hostfile.
inline constexpr Operation<ClusterName, model::ClusterStatus> kClusterAddresses{
    {"clusterAddresses", Method::get, "/v1/clusters/{name}/ips", Reply::json},
    wire::clusterName,
    wire::readClusterName,
    encodeAddresses,
    decodeAddresses};
inline constexpr Operation<ClusterName, ClusterStatsReply> kClusterStats{
    {"clusterStats", Method::get, "/v1/clusters/{name}/stats", Reply::json},
    wire::clusterName,
    wire::readClusterName,
    wire::clusterStats,
    wire::readClusterStats};
inline constexpr Operation<model::ShellRequest, Upgraded> kOpenShell{
    {"shell", Method::post, "/v1/clusters/{name}/shell", Reply::upgraded},
    wire::shellRequest,
    wire::readShellRequest,
    nullptr,
    nullptr};

// Hosts of the swarm.
inline constexpr Operation<NoRequest, std::vector<model::Host>> kListHosts{
    {"listHosts", Method::get, "/v1/hosts", Reply::json}, wire::noRequest, wire::readNoRequest, encodeHosts, decodeHosts};
inline constexpr Operation<AddHostRequest, model::Host> kAddHost{{"addHost", Method::post, "/v1/hosts/add", Reply::json},
                                                                 wire::body<AddHostRequest, encodeAddHostRequest>,
                                                                 wire::fromBody<AddHostRequest, decodeAddHostRequest>,
                                                                 encodeHost,
                                                                 decodeHost};
inline constexpr Operation<NoRequest, std::string> kJoinCommand{
    {"joinCommand", Method::get, "/v1/hosts/join-command", Reply::json},
    wire::noRequest,
    wire::readNoRequest,
    encodeJoinCommand,
    decodeJoinCommand};

// Jobs and files.
inline constexpr Operation<model::JobRequest, model::JobOutcome> kRunJob{{"run", Method::post, "/v1/jobs/run", Reply::jobOutput},
                                                                         wire::body<model::JobRequest, encodeJobRequest>,
                                                                         wire::fromBody<model::JobRequest, decodeJobRequest>,
                                                                         encodeJobOutcome,
                                                                         decodeJobOutcome};
// Queues a job and answers at once with its id.
inline constexpr Operation<model::JobRequest, SubmitReply> kSubmitJob{{"submit", Method::post, "/v1/jobs/submit", Reply::json},
                                                                      wire::body<model::JobRequest, encodeJobRequest>,
                                                                      wire::fromBody<model::JobRequest, decodeJobRequest>,
                                                                      wire::submitReply,
                                                                      wire::readSubmitReply};
// A job's events from its submission (its stored output, once it has ended), then its outcome.
inline constexpr Operation<JobId, model::JobOutcome> kFollowJob{
    {"followJob", Method::post, "/v1/jobs/{id}/follow", Reply::jobOutput},
    wire::jobId,
    wire::readJobId,
    encodeJobOutcome,
    decodeJobOutcome};
// Running, then queued (in the order they start), then recent jobs.
inline constexpr Operation<QueueQuery, std::vector<model::JobRecord>> kJobQueue{
    {"jobQueue", Method::get, "/v1/queue", Reply::json}, wire::queueQuery, wire::readQueueQuery, encodeJobList, decodeJobList};
inline constexpr Operation<CancelRequest, bool> kCancelJob{{"cancelJob", Method::post, "/v1/jobs/cancel", Reply::json},
                                                           wire::body<CancelRequest, encodeCancelRequest>,
                                                           wire::fromBody<CancelRequest, decodeCancelRequest>,
                                                           wire::cancelReply,
                                                           decodeCancelReply};
inline constexpr Operation<PruneRequest, model::PruneReport> kPruneJobs{
    {"pruneJobs", Method::post, "/v1/jobs/prune", Reply::json},
    wire::body<PruneRequest, encodePruneRequest>,
    wire::fromBody<PruneRequest, decodePruneRequest>,
    encodePruneReport,
    decodePruneReport};
inline constexpr Operation<JobListQuery, std::vector<model::JobRecord>> kListJobs{
    {"listJobs", Method::get, "/v1/jobs", Reply::json}, wire::jobListQuery, wire::readJobListQuery, encodeJobList, decodeJobList};
inline constexpr Operation<JobId, JobLog> kJobLog{
    {"jobLog", Method::get, "/v1/jobs/{id}", Reply::json}, wire::jobId, wire::readJobId, wire::jobLog, decodeJobLog};
inline constexpr Operation<model::CopyRequest, model::CopyReport> kCopyFiles{
    {"copy", Method::post, "/v1/files/copy", Reply::progress},
    wire::body<model::CopyRequest, encodeCopyRequest>,
    wire::fromBody<model::CopyRequest, decodeCopyRequest>,
    encodeCopyReport,
    decodeCopyReport};

// The dashboard: a one-time login code for the browser (api/dashboard_auth.h).
inline constexpr Operation<NoRequest, DashboardCode> kDashboardCode{
    {"dashboardCode", Method::post, "/v1/dashboard/code", Reply::json},
    wire::noRequest,
    wire::readNoRequest,
    encodeDashboardCode,
    decodeDashboardCode};

// Outside /v1/: ppcsd's metrics, in Prometheus' text format (metrics/ppcsd_metrics.h).
inline constexpr Operation<NoRequest, std::string> kMetrics{
    {"metrics", Method::get, "/metrics", Reply::text}, wire::noRequest, wire::readNoRequest, wire::text, wire::readText};

// Every operation, once. ApiServer::operations() must list the same ones.
inline constexpr auto kTypedOperations = std::tie(
    kVersion, kDaemonStatus, kStopDaemon, kBuildImage, kUpCluster, kScaleCluster, kDownCluster, kBenchCluster, kListClusters,
    kClusterStatus, kClusterAddresses, kClusterStats, kOpenShell, kListHosts, kAddHost, kJoinCommand, kRunJob, kSubmitJob,
    kFollowJob, kJobQueue, kCancelJob, kPruneJobs, kListJobs, kJobLog, kCopyFiles, kDashboardCode, kMetrics);
inline constexpr auto kOperations = std::apply(
    [](const auto&... operation) { return std::array<OperationInfo, sizeof...(operation)>{operation...}; }, kTypedOperations);

// What the declarations above must respect, checked as the header compiles.
namespace checks {

constexpr bool wellFormed(const OperationInfo& operation) {
    auto open = operation.path.find('{');
    bool oneParameter = open == std::string_view::npos || (operation.path.find('{', open + 1) == std::string_view::npos &&
                                                           operation.path.find('}', open) != std::string_view::npos &&
                                                           operation.path.find('/', open) > operation.path.find('}', open));
    bool streamedOrUpgradedIsPost =
        (!streamed(operation.reply) && operation.reply != Reply::upgraded) || operation.method == Method::post;
    // A text reply is a scrape target (GET, no parameter), and only it may live outside /v1/.
    bool textIsScrape = operation.reply != Reply::text ||
                        (operation.method == Method::get && open == std::string_view::npos && operation.path.size() > 1);
    bool underV1 =
        operation.path.substr(0, 4) == "/v1/" || (operation.reply == Reply::text && operation.path.substr(0, 1) == "/");
    return underV1 && !operation.name.empty() && oneParameter && streamedOrUpgradedIsPost && textIsScrape;
}

// The request types whose value travels as the path's parameter.
template <class Request>
inline constexpr bool kInPath = false;
template <>
inline constexpr bool kInPath<ClusterName> = true;
template <>
inline constexpr bool kInPath<JobId> = true;
template <>
inline constexpr bool kInPath<model::ShellRequest> = true;

template <class Request, class Response>
constexpr bool parameterMatches(const Operation<Request, Response>& operation) {
    bool bodyless = std::is_same_v<Request, NoRequest> || std::is_same_v<Request, JobListQuery> ||
                    std::is_same_v<Request, QueueQuery> || std::is_same_v<Request, ClusterName> || std::is_same_v<Request, JobId>;
    bool hasBodyOnlyIfPost = operation.method == Method::post || bodyless;
    // Whether the codec is there is checked by type, not by comparing the function pointer with
    // nullptr: under -fsanitize GCC does not take a function's address as a constant.
    return (operation.path.find('{') != std::string_view::npos) == kInPath<Request> && hasBodyOnlyIfPost &&
           (operation.reply == Reply::upgraded) == std::is_same_v<Response, Upgraded>;
}
static_assert(std::apply([](const auto&... operation) { return (parameterMatches(operation) && ...); }, kTypedOperations),
              "a path has a parameter exactly when its request type travels in the path; a GET sends no body; "
              "only an upgraded reply has no codec (its response type is Upgraded)");

constexpr bool allWellFormedAndDistinct() {
    for (std::size_t i = 0; i < kOperations.size(); ++i) {
        if (!wellFormed(kOperations[i])) return false;
        for (std::size_t j = i + 1; j < kOperations.size(); ++j) {
            const auto &a = kOperations[i], &b = kOperations[j];
            if (a.name == b.name || (a.method == b.method && a.path == b.path)) return false;
        }
    }
    return true;
}
static_assert(allWellFormedAndDistinct(),
              "every operation: a /v1/ path (a text reply: any path, by GET) with at most one parameter segment, "
              "streams and upgrades by POST, no name or method and path twice");

}  // namespace checks

}  // namespace ppcs::api
