#include "api/client.h"

#include <httplib.h>

#include <algorithm>
#include <optional>

#include "api/json_fields.h"
#include "common/files.h"
#include "common/strings.h"

namespace ppcs::api {
namespace {

httplib::Headers authHeaders(const Endpoint& endpoint) { return {{"Authorization", "Bearer " + endpoint.token}}; }

Error unreachable(const Endpoint& endpoint, httplib::Error error) {
    return makeError(ErrorCode::unavailable,
                     "cannot reach ppcsd on 127.0.0.1:" + std::to_string(endpoint.port) + ": " + httplib::to_string(error));
}

// Connecting takes at most 5 s and sending 30 s, or readLimit when that is shorter.
std::unique_ptr<httplib::Client> makeClient(const Endpoint& endpoint, std::chrono::milliseconds readLimit) {
    using std::chrono::milliseconds;
    auto client = std::make_unique<httplib::Client>("127.0.0.1", endpoint.port);
    client->set_connection_timeout(std::min(milliseconds(5000), readLimit));
    client->set_read_timeout(readLimit);
    client->set_write_timeout(std::min(milliseconds(30000), readLimit));
    // A request goes out in a few writes (headers, body): none waits for an ACK of the one before.
    client->set_tcp_nodelay(true);
    return client;
}

}  // namespace

std::string encodeEndpoint(const Endpoint& endpoint) {
    return fields::dumpJson(nlohmann::json{{"port", endpoint.port}, {"pid", endpoint.pid}});
}

Result<Endpoint> readEndpoint(const std::string& stateDir) {
    auto text = readFile(stateDir + "/" + kEndpointFile);
    if (!text) return text.error();
    auto value = nlohmann::json::parse(*text, nullptr, false);
    if (value.is_discarded() || !value.is_object() || !value.contains("port") || !value["port"].is_number_integer())
        return makeError(ErrorCode::failed, "'" + stateDir + "/" + kEndpointFile + "' is damaged");
    Endpoint endpoint;
    endpoint.port = value["port"].get<int>();
    endpoint.pid = fields::valueOr(value, "pid", 0);
    auto token = readFile(stateDir + "/" + kTokenFile);
    if (!token) return token.error();
    endpoint.token = std::string(trim(*token));
    return endpoint;
}

Result<std::string> ApiClient::get(const std::string& path) {
    auto client = makeClient(endpoint_, requestLimit_);
    auto reply = client->Get(path.c_str(), authHeaders(endpoint_));
    if (!reply) return unreachable(endpoint_, reply.error());
    if (reply->status != 200) return decodeError(reply->body, reply->status);
    return reply->body;
}

Result<std::string> ApiClient::post(const std::string& path, const std::string& body) {
    auto client = makeClient(endpoint_, requestLimit_);
    auto reply = client->Post(path.c_str(), authHeaders(endpoint_), body, "application/json");
    if (!reply) return unreachable(endpoint_, reply.error());
    if (reply->status != 200) return decodeError(reply->body, reply->status);
    return reply->body;
}

Result<std::string> ApiClient::streamOperation(const std::string& path, const std::string& body,
                                               const model::Progress& progress) {
    auto client = makeClient(endpoint_, streamSilenceLimit_);
    httplib::Request http;
    http.method = "POST";
    http.path = path;
    http.headers = authHeaders(endpoint_);
    http.body = body;
    http.set_header("Content-Type", "application/json");
    int status = 0;
    std::string errorBody;
    std::string pending;
    std::optional<Result<std::string>> last;
    auto lastHeard = std::chrono::steady_clock::now();
    auto handleLine = [&](std::string_view line) {
        auto event = decodeStreamEvent(line);
        if (!event) return;  // a type this client does not know
        if (event->kind == StreamEvent::Kind::progress)
            progress(event->phase, event->text);
        else if (event->kind == StreamEvent::Kind::result)
            last = Result<std::string>(event->resultJson);
        else if (event->kind == StreamEvent::Kind::error)
            last = Result<std::string>(event->error);
    };
    http.response_handler = [&](const httplib::Response& response) {
        status = response.status;
        lastHeard = std::chrono::steady_clock::now();
        return true;
    };
    http.content_receiver = [&](const char* data, size_t length, uint64_t, uint64_t) {
        lastHeard = std::chrono::steady_clock::now();
        if (status != 200) {
            errorBody.append(data, length);
            return true;
        }
        pending.append(data, length);
        for (auto newline = pending.find('\n'); newline != std::string::npos; newline = pending.find('\n')) {
            handleLine(std::string_view(pending).substr(0, newline));
            pending.erase(0, newline + 1);
        }
        return true;
    };
    httplib::Response response;
    httplib::Error error = httplib::Error::Success;
    if (!client->send(http, response, error)) {
        // The read timeout is the silence limit: a (nearly) full limit since the last byte is it.
        if (error == httplib::Error::Read && std::chrono::steady_clock::now() - lastHeard >= streamSilenceLimit_ * 9 / 10)
            return makeError(ErrorCode::unavailable, "ppcsd sent nothing for " + std::to_string(streamSilenceLimit_.count()) +
                                                         " s while running " + path + ": it may be stuck (see its log)");
        if (status == 200)
            return makeError(ErrorCode::unavailable,
                             "the connection to ppcsd broke during " + path + ": ppcsd stopped or crashed (see its log)");
        return unreachable(endpoint_, error);
    }
    if (status != 200) return decodeError(errorBody.empty() ? response.body : errorBody, status);
    if (!pending.empty()) handleLine(pending);
    if (!last) return makeError(ErrorCode::failed, "ppcsd ended the stream of " + path + " without a result (see its log)");
    return *last;
}

template <class Request, class Response>
Result<Response> ApiClient::call(const Operation<Request, Response>& operation, const Request& request,
                                 const model::Progress& progress) {
    WireRequest wire = operation.writeRequest(request);
    std::string target = targetOf(operation.path, wire);
    Result<std::string> body = streamed(operation.reply)         ? streamOperation(target, wire.body, progress)
                               : operation.method == Method::get ? get(target)
                                                                 : post(target, wire.body);
    if (!body) return body.error();
    return operation.readResponse(*body);
}

Result<VersionInfo> ApiClient::version() { return call(kVersion, NoRequest{}); }

Result<DaemonStatus> ApiClient::status() { return call(kDaemonStatus, NoRequest{}); }

Status ApiClient::stop() {
    auto stopping = call(kStopDaemon, NoRequest{});
    if (!stopping) return stopping.error();
    return {};
}

Result<model::BuildOutcome> ApiClient::build(const model::BuildRequest& request, const model::BuildProgress& progress) {
    return call(kBuildImage, request, progress);
}

Result<model::ClusterStatus> ApiClient::up(const UpRequest& request, const model::Progress& progress) {
    return call(kUpCluster, request, progress);
}

Result<model::ClusterStatus> ApiClient::scale(const ScaleRequest& request, const model::Progress& progress) {
    return call(kScaleCluster, request, progress);
}

Result<model::DownReport> ApiClient::down(const DownRequest& request, const model::Progress& progress) {
    return call(kDownCluster, request, progress);
}

Result<model::ClusterStatus> ApiClient::clusterStatus(const std::string& name) { return call(kClusterStatus, ClusterName{name}); }

Result<model::JobOutcome> ApiClient::run(const model::JobRequest& request, const model::Progress& events) {
    return call(kRunJob, request, events);
}

Result<std::int64_t> ApiClient::submit(const model::JobRequest& request) {
    auto reply = call(kSubmitJob, request);
    if (!reply) return reply.error();
    return reply->id;
}

Result<model::JobOutcome> ApiClient::follow(std::int64_t id, const model::Progress& events) {
    return call(kFollowJob, JobId{id}, events);
}

Result<std::vector<model::JobRecord>> ApiClient::jobQueue(const std::string& cluster) {
    return call(kJobQueue, QueueQuery{cluster});
}

Result<model::BenchReport> ApiClient::bench(const model::BenchRequest& request, const model::Progress& progress) {
    return call(kBenchCluster, request, progress);
}

Result<std::vector<model::MemberStats>> ApiClient::clusterStats(const std::string& name) {
    auto stats = call(kClusterStats, ClusterName{name});
    if (!stats) return stats.error();
    return std::move(stats->members);
}

Result<bool> ApiClient::cancelJob(const std::string& cluster) { return call(kCancelJob, CancelRequest{std::nullopt, cluster}); }

Result<bool> ApiClient::cancelJobById(std::int64_t id) { return call(kCancelJob, CancelRequest{id, ""}); }

Result<std::vector<model::JobRecord>> ApiClient::listJobs(int limit) { return call(kListJobs, JobListQuery{limit}); }

Result<std::pair<model::JobRecord, std::vector<model::OutputChunk>>> ApiClient::jobLog(std::int64_t id) {
    return call(kJobLog, JobId{id});
}

Result<model::PruneReport> ApiClient::pruneJobs(std::optional<int> keep) { return call(kPruneJobs, PruneRequest{keep}); }

Result<model::CopyReport> ApiClient::copy(const model::CopyRequest& request, const model::Progress& progress) {
    return call(kCopyFiles, request, progress);
}

Result<model::ClusterStatus> ApiClient::clusterAddresses(const std::string& name) {
    return call(kClusterAddresses, ClusterName{name});
}

Result<std::vector<std::string>> ApiClient::listClusters() { return call(kListClusters, NoRequest{}); }

Result<std::vector<model::Host>> ApiClient::listHosts() { return call(kListHosts, NoRequest{}); }

Result<model::Host> ApiClient::addHost(const AddHostRequest& request) { return call(kAddHost, request); }

Result<DashboardCode> ApiClient::dashboardCode() { return call(kDashboardCode, NoRequest{}); }

Result<std::string> ApiClient::metrics() { return call(kMetrics, NoRequest{}); }

Result<std::string> ApiClient::joinCommand() { return call(kJoinCommand, NoRequest{}); }

}  // namespace ppcs::api
