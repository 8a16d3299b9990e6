#include "api/server.h"

#include <httplib.h>

#include "common/files.h"
#include "common/log.h"
#include "common/token.h"

namespace ppcs::api {
namespace {

constexpr const char* kJson = "application/json";

void replyError(httplib::Response& response, const Error& error) {
    response.status = httpStatusFor(error.code);
    response.set_content(encodeError(error), kJson);
}

using Operation = std::function<Result<std::string>(const cluster::Progress& progress)>;

// Streams a long operation as newline-delimited events: its progress lines as they happen, then
// its JSON result or its error. The operation runs inside the first call of the content provider.
void streamOperation(httplib::Response& response, std::string name, Operation operation) {
    response.set_chunked_content_provider("application/x-ndjson", [name, operation](size_t, httplib::DataSink& sink) {
        auto send = [&sink](const StreamEvent& event) {
            std::string line = encodeStreamEvent(event) + "\n";
            sink.write(line.data(), line.size());
        };
        auto result = operation([&send](const std::string& phase, const std::string& text) {
            StreamEvent event;
            event.phase = phase;
            event.text = text;
            send(event);
        });
        StreamEvent last;
        if (result) {
            last.kind = StreamEvent::Kind::result;
            last.resultJson = *result;
            log::info(name + ": done");
        } else {
            last.kind = StreamEvent::Kind::error;
            last.error = result.error();
            log::warn(name + ": " + result.error().message);
        }
        send(last);
        sink.done();
        return true;
    });
}

// Decodes a request body with decode, then streams run(request) with its result encoded.
template <class Request, class Value>
void streamDecoded(const httplib::Request& http, httplib::Response& response, const std::string& name,
                   Result<Request> (*decode)(std::string_view), std::string (*encode)(const Value&),
                   std::function<Result<Value>(const Request&, const cluster::Progress&)> run) {
    auto request = decode(http.body);
    if (!request) return replyError(response, request.error());
    streamOperation(response, name, [request = *request, encode, run](const cluster::Progress& progress) -> Result<std::string> {
        auto value = run(request, progress);
        if (!value) return value.error();
        return encode(*value);
    });
}

// Routes under /v1/clusters/NAME: the name is checked before the handler sees it.
httplib::Server::Handler withClusterName(std::function<void(const std::string&, httplib::Response&)> handler) {
    return [handler](const httplib::Request& request, httplib::Response& response) {
        std::string name = request.matches[1];
        if (auto valid = cluster::validateClusterName(name); !valid) return replyError(response, valid.error());
        handler(name, response);
    };
}

}  // namespace

ApiServer::ApiServer(DaemonServices& services, std::string token)
    : services_(services), token_(std::move(token)), server_(std::make_unique<httplib::Server>()) {
    installRoutes();
}

ApiServer::~ApiServer() = default;

void ApiServer::installRoutes() {
    installGuards();
    installDaemonRoutes();
    installClusterRoutes();
    installJobRoutes();
    installHostRoutes();
}

void ApiServer::installGuards() {
    server_->set_payload_max_length(kMaxRequestBytes);
    server_->set_read_timeout(10, 0);
    server_->set_pre_routing_handler([this](const httplib::Request& request, httplib::Response& response) {
        if (bearerMatches(request.get_header_value("Authorization"), token_)) return httplib::Server::HandlerResponse::Unhandled;
        replyError(response, makeError(ErrorCode::unauthorized, "missing or wrong bearer token"));
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
        if (response.status == 404) replyError(response, makeError(ErrorCode::notFound, "no route " + request.method + " " + request.path));
        else if (response.status == 413) replyError(response, makeError(ErrorCode::tooLarge, "request body over " + std::to_string(kMaxRequestBytes) + " bytes"));
        else replyError(response, Error{errorCodeForHttpStatus(response.status), "request refused (HTTP " + std::to_string(response.status) + ")"});
    });
}

void ApiServer::installDaemonRoutes() {
    server_->Get("/v1/version", [](const httplib::Request&, httplib::Response& response) {
        static const std::string binaryId = fileIdentity("/proc/self/exe");
        response.set_content(encodeVersion(VersionInfo{PPCS_VERSION, kProtocolVersion, binaryId}), kJson);
    });
    server_->Get("/v1/daemon", [this](const httplib::Request&, httplib::Response& response) {
        response.set_content(encodeDaemonStatus(services_.status()), kJson);
    });
    server_->Post("/v1/daemon/stop", [this](const httplib::Request&, httplib::Response& response) {
        response.set_content(R"({"stopping":true})", kJson);
        services_.requestStop();
    });
}

void ApiServer::installClusterRoutes() {
    server_->Post("/v1/images/build", [this](const httplib::Request& request, httplib::Response& response) {
        streamDecoded<image::BuildRequest, image::BuildOutcome>(request, response, "build", decodeBuildRequest, encodeBuildOutcome,
                                                                [this](const auto& build, const auto& progress) { return services_.buildImage(build, progress); });
    });
    server_->Post("/v1/clusters/up", [this](const httplib::Request& request, httplib::Response& response) {
        streamDecoded<UpRequest, cluster::ClusterStatus>(request, response, "up", decodeUpRequest, encodeClusterStatus,
                                                         [this](const auto& up, const auto& progress) { return services_.upCluster(up, progress); });
    });
    server_->Post("/v1/clusters/scale", [this](const httplib::Request& request, httplib::Response& response) {
        streamDecoded<ScaleRequest, cluster::ClusterStatus>(request, response, "scale", decodeScaleRequest, encodeClusterStatus,
                                                            [this](const auto& scale, const auto& progress) { return services_.scaleCluster(scale, progress); });
    });
    server_->Post("/v1/clusters/down", [this](const httplib::Request& request, httplib::Response& response) {
        streamDecoded<DownRequest, cluster::DownReport>(request, response, "down", decodeDownRequest, encodeDownReport,
                                                        [this](const auto& down, const auto& progress) { return services_.downCluster(down, progress); });
    });
    server_->Post("/v1/clusters/bench", [this](const httplib::Request& request, httplib::Response& response) {
        streamDecoded<jobs::BenchRequest, jobs::BenchReport>(request, response, "bench", decodeBenchRequest, encodeBenchReport,
                                                             [this](const auto& bench, const auto& progress) { return services_.benchCluster(bench, progress); });
    });
    server_->Get(R"(/v1/clusters/([^/]+)/ips)", withClusterName([this](const std::string& name, httplib::Response& response) {
        auto status = services_.clusterAddresses(name);
        if (!status) return replyError(response, status.error());
        response.set_content(encodeAddresses(*status), kJson);
    }));
    server_->Get(R"(/v1/clusters/([^/]+)/stats)", withClusterName([this](const std::string& name, httplib::Response& response) {
        auto stats = services_.clusterStats(name);
        if (!stats) return replyError(response, stats.error());
        response.set_content(encodeClusterStats(name, *stats), kJson);
    }));
    server_->Get("/v1/clusters", [this](const httplib::Request&, httplib::Response& response) {
        auto names = services_.listClusters();
        if (!names) return replyError(response, names.error());
        response.set_content(encodeClusterList(*names), kJson);
    });
    server_->Get(R"(/v1/clusters/([^/]+))", withClusterName([this](const std::string& name, httplib::Response& response) {
        auto status = services_.clusterStatus(name);
        if (!status) return replyError(response, status.error());
        response.set_content(encodeClusterStatus(*status), kJson);
    }));
}

void ApiServer::installHostRoutes() {
    server_->Get("/v1/hosts", [this](const httplib::Request&, httplib::Response& response) {
        auto hosts = services_.listHosts();
        if (!hosts) return replyError(response, hosts.error());
        response.set_content(encodeHosts(*hosts), kJson);
    });
    server_->Get("/v1/hosts/join-command", [this](const httplib::Request&, httplib::Response& response) {
        auto command = services_.joinCommand();
        if (!command) return replyError(response, command.error());
        response.set_content(encodeJoinCommand(*command), kJson);
    });
    server_->Post("/v1/hosts/add", [this](const httplib::Request& request, httplib::Response& response) {
        auto add = decodeAddHostRequest(request.body);
        if (!add) return replyError(response, add.error());
        auto host = services_.addHost(*add);
        if (!host) return replyError(response, host.error());
        response.set_content(encodeHost(*host), kJson);
    });
}

void ApiServer::installJobRoutes() {
    server_->Post("/v1/jobs/run", [this](const httplib::Request& request, httplib::Response& response) {
        streamDecoded<jobs::JobRequest, jobs::JobOutcome>(request, response, "run", decodeJobRequest, encodeJobOutcome,
                                                          [this](const auto& job, const auto& events) { return services_.runJob(job, events, {}); });
    });
    server_->Post("/v1/jobs/cancel", [this](const httplib::Request& request, httplib::Response& response) {
        auto cluster = decodeCancelRequest(request.body);
        if (!cluster) return replyError(response, cluster.error());
        response.set_content(services_.cancelJob(*cluster) ? R"({"cancelled":true})" : R"({"cancelled":false})", kJson);
    });
    server_->Get("/v1/jobs", [this](const httplib::Request& request, httplib::Response& response) {
        int limit = 50;
        if (request.has_param("limit")) {
            std::string text = request.get_param_value("limit");
            if (text.empty() || text.size() > 5 || text.find_first_not_of("0123456789") != std::string::npos || std::stoi(text) < 1)
                return replyError(response, makeError(ErrorCode::usage, "limit must be a number from 1 to 99999"));
            limit = std::stoi(text);
        }
        auto records = services_.listJobs(limit);
        if (!records) return replyError(response, records.error());
        response.set_content(encodeJobList(*records), kJson);
    });
    server_->Get(R"(/v1/jobs/([^/]+))", [this](const httplib::Request& request, httplib::Response& response) {
        std::string text = request.matches[1];
        if (text.empty() || text.size() > 18 || text.find_first_not_of("0123456789") != std::string::npos)
            return replyError(response, makeError(ErrorCode::usage, "job id '" + text + "' is not a number"));
        auto log = services_.jobLog(std::stoll(text));
        if (!log) return replyError(response, log.error());
        response.set_content(encodeJobLog(log->first, log->second), kJson);
    });
}

Result<int> ApiServer::bind(int port) {
    if (port < 0 || port > 65535) return makeError(ErrorCode::usage, "port " + std::to_string(port) + " is out of range");
    int bound = port == 0 ? server_->bind_to_any_port("127.0.0.1") : (server_->bind_to_port("127.0.0.1", port) ? port : -1);
    if (bound <= 0) return makeError(ErrorCode::unavailable, "cannot listen on 127.0.0.1:" + std::to_string(port));
    return bound;
}

void ApiServer::serve() {
    if (server_->is_valid()) server_->listen_after_bind();
}

void ApiServer::stop() { server_->stop(); }

}  // namespace ppcs::api
