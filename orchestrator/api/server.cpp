#include "api/server.h"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "api/dashboard_server.h"
#include "api/event_stream.h"
#include "api/http_server.h"
#include "api/shell_server.h"
#include "common/files.h"
#include "common/guarded.h"
#include "common/log.h"
#include "common/token.h"

namespace ppcs::api {

namespace {

constexpr const char* kJson = "application/json";

// The request as the operations see it (operations.h): the path's parameter, the query, the body.
WireRequest wireOf(const httplib::Request& http) {
    WireRequest wire;
    if (http.matches.size() > 1) wire.parameter = http.matches[1];
    for (const auto& [key, value] : http.params) wire.query.emplace(key, value);  // the first of a repeated key
    wire.body = http.body;
    return wire;
}

template <class T>
struct NonDeduced {
    using type = T;
};

// Installs routes from the descriptions of operations.h: a route reads its request with the
// operation's reader, runs one service, and writes the reply with the operation's writer.
class Router {
public:
    Router(GuardedHttpServer& server, StreamSlots& streams, std::vector<OperationInfo>& routed)
        : server_(server), streams_(streams), routed_(routed) {}

    // A reply of one JSON document.
    template <class Request, class Response>
    void answer(const Operation<Request, Response>& operation,
                typename NonDeduced<std::function<Result<Response>(const Request&)>>::type run) {
        install(operation, [operation, run](const httplib::Request& http, httplib::Response& response) {
            auto request = operation.readRequest(wireOf(http));
            if (!request) return replyError(response, request.error());
            auto value = run(*request);
            if (!value) return replyError(response, value.error());
            auto type = operation.reply == Reply::text ? std::string(kMetricsContentType) : kJson;
            response.set_content(operation.writeResponse(*value), type.c_str());
        });
    }

    // A streamed reply (see streamOperation): the request is read before the stream starts.
    template <class Request, class Response>
    void stream(
        const Operation<Request, Response>& operation,
        typename NonDeduced<std::function<Result<Response>(const Request&, const model::Progress&, const ClientProbe&)>>::type
            run) {
        StreamSlots& slots = streams_;
        install(operation, [operation, run, &slots](const httplib::Request& http, httplib::Response& response) {
            auto request = operation.readRequest(wireOf(http));
            if (!request) return replyError(response, request.error());
            streamOperation(response, slots, std::string(operation.name),
                            [request = *request, operation, run](const model::Progress& progress,
                                                                 const ClientProbe& clientPresent) -> Result<std::string> {
                                auto value = run(request, progress, clientPresent);
                                if (!value) return value.error();
                                return operation.writeResponse(*value);
                            });
        });
    }

private:
    void install(const OperationInfo& operation, httplib::Server::Handler handler) {
        auto pattern = routePattern(operation.path);
        if (operation.method == Method::get)
            server_.Get(pattern, std::move(handler));
        else
            server_.Post(pattern, std::move(handler));
        routed_.push_back(operation);
    }

    GuardedHttpServer& server_;
    StreamSlots& streams_;
    std::vector<OperationInfo>& routed_;
};

}  // namespace

ApiServer::ApiServer(DaemonServices& services, std::string token, ServerLimits limits, std::string metricsToken)
    : services_(services),
      token_(std::move(token)),
      metricsToken_(std::move(metricsToken)),
      streams_(std::make_unique<StreamSlots>(limits.maxStreams, limits.heartbeatInterval)),
      shells_(std::make_unique<ShellServer>(services, token_, limits.maxShells)),
      dashboard_(std::make_unique<Dashboard>(services, limits.heartbeatInterval)),
      server_(std::make_unique<GuardedHttpServer>(ConnectionLimits{limits.headerDeadline,
                                                                   limits.headerDeadline + std::chrono::seconds(10),
                                                                   limits.maxHeaderBytes, limits.maxConnectionThreads})) {
    installRoutes();
    routed_.push_back(kOpenShell);  // served by shells_, on connections that ask for an upgrade
    server_->setUpgradeHandler([this](UpgradeRequest& request, int socket, const std::function<bool()>& stopping) {
        shells_->serve(request, socket, stopping);
    });
}

ApiServer::~ApiServer() = default;

void ApiServer::installRoutes() {
    installGuards();
    installDaemonRoutes();
    installClusterRoutes();
    installJobRoutes();
    installHostRoutes();
    installMetricsRoute();
    installDashboard();
}

bool ApiServer::authorised(const std::string& method, const std::string& path, const std::string& authorization) const {
    if (bearerMatches(authorization, token_)) return true;
    bool scrape = method == methodName(kMetrics.method) && path == kMetrics.path;
    return scrape && !metricsToken_.empty() && bearerMatches(authorization, metricsToken_);
}

void ApiServer::installGuards() {
    server_->set_payload_max_length(kMaxRequestBytes);
    server_->set_read_timeout(10, 0);
    server_->set_pre_routing_handler([this](const httplib::Request& request, httplib::Response& response) {
        if (authorised(request.method, request.path, request.get_header_value("Authorization")) || dashboard_->admits(request))
            return httplib::Server::HandlerResponse::Unhandled;
        bool dashboard = isDashboardPath(request.path);
        if (dashboard) secureDashboardReply(response);
        replyError(response, makeError(ErrorCode::unauthorized, dashboard ? "no dashboard session: run `ppcs-cluster dashboard`"
                                                                          : "missing or wrong bearer token"));
        return httplib::Server::HandlerResponse::Handled;
    });
    server_->set_exception_handler([](const httplib::Request&, httplib::Response& response, std::exception_ptr failure) {
        std::string what = "unexpected failure";
        try {
            if (failure) std::rethrow_exception(failure);
        } catch (const std::exception& e) {
            what += std::string(": ") + e.what();
        } catch (...) {
        }
        log::error(what);
        replyError(response, makeError(ErrorCode::failed, what));
    });
    server_->set_error_handler([](const httplib::Request& request, httplib::Response& response) {
        if (!response.body.empty()) return;
        if (isDashboardPath(request.path)) secureDashboardReply(response);
        if (response.status == 404)
            replyError(response, makeError(ErrorCode::notFound, "no route " + request.method + " " + request.path));
        else if (response.status == 413)
            replyError(response,
                       makeError(ErrorCode::tooLarge, "request body over " + std::to_string(kMaxRequestBytes) + " bytes"));
        else
            replyError(response, Error{errorCodeForHttpStatus(response.status),
                                       "request refused (HTTP " + std::to_string(response.status) + ")"});
    });
}

void ApiServer::installDaemonRoutes() {
    Router routes(*server_, *streams_, routed_);
    routes.answer(kVersion, [](const NoRequest&) -> Result<VersionInfo> {
        static const std::string binaryId = fileIdentity("/proc/self/exe");
        return VersionInfo{PPCS_VERSION, kProtocolVersion, binaryId};
    });
    routes.answer(kDaemonStatus, [this](const NoRequest&) -> Result<DaemonStatus> { return services_.status(); });
    routes.answer(kStopDaemon, [this](const NoRequest&) -> Result<StopReply> {
        services_.requestStop();  // the daemon stops once this reply is sent
        return StopReply{};
    });
}

void ApiServer::installClusterRoutes() {
    Router routes(*server_, *streams_, routed_);
    routes.stream(kBuildImage,
                  [this](const auto& build, const auto& progress, const auto&) { return services_.buildImage(build, progress); });
    routes.stream(kUpCluster,
                  [this](const auto& up, const auto& progress, const auto&) { return services_.upCluster(up, progress); });
    routes.stream(kScaleCluster, [this](const auto& scale, const auto& progress, const auto&) {
        return services_.scaleCluster(scale, progress);
    });
    routes.stream(kDownCluster,
                  [this](const auto& down, const auto& progress, const auto&) { return services_.downCluster(down, progress); });
    routes.stream(kBenchCluster, [this](const auto& bench, const auto& progress, const auto&) {
        return services_.benchCluster(bench, progress);
    });
    routes.answer(kClusterAddresses, [this](const ClusterName& cluster) { return services_.clusterAddresses(cluster.name); });
    routes.answer(kClusterStats, [this](const ClusterName& cluster) -> Result<ClusterStatsReply> {
        auto stats = services_.clusterStats(cluster.name);
        if (!stats) return stats.error();
        return ClusterStatsReply{cluster.name, std::move(*stats)};
    });
    routes.answer(kListClusters, [this](const NoRequest&) { return services_.listClusters(); });
    routes.answer(kClusterStatus, [this](const ClusterName& cluster) { return services_.clusterStatus(cluster.name); });
}

void ApiServer::installHostRoutes() {
    Router routes(*server_, *streams_, routed_);
    routes.answer(kListHosts, [this](const NoRequest&) { return services_.listHosts(); });
    routes.answer(kJoinCommand, [this](const NoRequest&) { return services_.joinCommand(); });
    routes.answer(kAddHost, [this](const AddHostRequest& add) { return services_.addHost(add); });
}

void ApiServer::installJobRoutes() {
    Router routes(*server_, *streams_, routed_);
    routes.stream(kRunJob, [this](const auto& job, const auto& events, const auto& clientPresent) {
        return services_.runJob(job, events, clientPresent);
    });
    routes.answer(kSubmitJob, [this](const model::JobRequest& job) -> Result<SubmitReply> {
        auto id = services_.submitJob(job);
        if (!id) return id.error();
        return SubmitReply{*id};
    });
    routes.stream(kFollowJob, [this](const JobId& job, const auto& events, const auto& clientPresent) {
        return services_.followJob(job.id, events, clientPresent);
    });
    routes.answer(kJobQueue, [this](const QueueQuery& query) { return services_.jobQueue(query.cluster); });
    routes.stream(kCopyFiles, [this](const auto& copy, const auto& progress, const auto& clientPresent) {
        return services_.copyFiles(copy, progress, clientPresent);
    });
    routes.answer(kCancelJob, [this](const CancelRequest& cancel) {
        return cancel.id ? services_.cancelJobById(*cancel.id) : Result<bool>(services_.cancelJob(cancel.cluster));
    });
    routes.answer(kPruneJobs, [this](const PruneRequest& prune) { return services_.pruneJobs(prune.keep); });
    routes.answer(kListJobs, [this](const JobListQuery& query) { return services_.listJobs(query.limit); });
    routes.answer(kJobLog, [this](const JobId& job) { return services_.jobLog(job.id); });
}

void ApiServer::installMetricsRoute() {
    Router routes(*server_, *streams_, routed_);
    routes.answer(kMetrics, [this](const NoRequest&) { return services_.metrics(); });
}

void ApiServer::installDashboard() {
    Router routes(*server_, *streams_, routed_);
    routes.answer(kDashboardCode, [this](const NoRequest&) { return dashboard_->mintCode(); });
    dashboard_->install(*server_);
}

Result<int> ApiServer::bind(int port) {
    if (port < 0 || port > 65535) return makeError(ErrorCode::usage, "port " + std::to_string(port) + " is out of range");
    int bound = port == 0 ? server_->bind_to_any_port("127.0.0.1") : (server_->bind_to_port("127.0.0.1", port) ? port : -1);
    if (bound <= 0) return makeError(ErrorCode::unavailable, "cannot listen on 127.0.0.1:" + std::to_string(port));
    dashboard_->setPort(bound);
    return bound;
}

void ApiServer::serve() {
    if (server_->is_valid()) server_->listen_after_bind();
}

void ApiServer::stop() { server_->stop(); }

const std::vector<OperationInfo>& ApiServer::operations() const { return routed_; }

}  // namespace ppcs::api
