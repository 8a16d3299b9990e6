#include "api/server.h"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "api/http_server.h"
#include "api/shell_server.h"
#include "common/files.h"
#include "common/guarded.h"
#include "common/log.h"
#include "common/token.h"

namespace ppcs::api {

// The streamed responses under way, at most most(); each holds its slot until it is destroyed.
class StreamSlots {
public:
    StreamSlots(std::size_t most, std::chrono::milliseconds heartbeat) : most_(most), heartbeat_(heartbeat) {}
    // A held slot, or null when all are taken.
    std::shared_ptr<const void> acquire() {
        if (active_.fetch_add(1) >= most_) {
            active_.fetch_sub(1);
            return nullptr;
        }
        return std::shared_ptr<const void>(
            this, [](const StreamSlots* slots) { const_cast<StreamSlots*>(slots)->active_.fetch_sub(1); });
    }
    std::size_t most() const { return most_; }
    std::chrono::milliseconds heartbeat() const { return heartbeat_; }

private:
    std::size_t most_;
    std::chrono::milliseconds heartbeat_;
    std::atomic<std::size_t> active_{0};
};

namespace {

constexpr const char* kJson = "application/json";

void replyError(httplib::Response& response, const Error& error) {
    response.status = httpStatusFor(error.code);
    response.set_content(encodeError(error), kJson);
}

using Clock = std::chrono::steady_clock;
using ClientProbe = std::function<bool()>;
using Operation = std::function<Result<std::string>(const model::Progress& progress, const ClientProbe& clientPresent)>;

// The events of one streamed response. Writes are serialised: progress comes from the operation
// (from any of its threads) while a heartbeat thread writes when the stream has been silent for
// a while, so that a client can tell a slow operation from a daemon that stopped answering.
class EventStream {
public:
    EventStream(httplib::DataSink& sink, std::chrono::milliseconds heartbeat)
        : sink_(sink), connection_(currentConnection()), heartbeatInterval_(heartbeat), lastWrite_(Clock::now()) {
        heartbeat_ = std::thread([this] { runGuarded("stream heartbeat", [this] { beat(); }); });
    }
    ~EventStream() { stopHeartbeat(); }
    EventStream(const EventStream&) = delete;
    EventStream& operator=(const EventStream&) = delete;

    void send(const StreamEvent& event) {
        std::string line = encodeStreamEvent(event) + "\n";
        std::lock_guard<std::mutex> lock(mutex_);
        writeLocked(line);
    }
    // Sends the last event, stops the heartbeat and ends the stream.
    void finish(const StreamEvent& last) {
        send(last);
        stopHeartbeat();
        std::lock_guard<std::mutex> lock(mutex_);
        sink_.done();
    }
    bool clientPresent() const { return !writeFailed_ && !(connection_ && connection_->peerGone()); }

private:
    void writeLocked(const std::string& line) {
        if (!writeFailed_ && !sink_.write(line.data(), line.size())) writeFailed_ = true;
        lastWrite_ = Clock::now();
    }
    void beat() {
        static const std::string heartbeat = encodeStreamEvent(StreamEvent{StreamEvent::Kind::heartbeat}) + "\n";
        std::unique_lock<std::mutex> lock(mutex_);
        while (!stopping_) {
            auto due = lastWrite_ + heartbeatInterval_;
            if (Clock::now() >= due)
                writeLocked(heartbeat);
            else
                wake_.wait_until(lock, due);
        }
    }
    void stopHeartbeat() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            stopping_ = true;
        }
        wake_.notify_all();
        if (heartbeat_.joinable()) heartbeat_.join();
    }

    httplib::DataSink& sink_;
    std::shared_ptr<Connection> connection_;
    std::chrono::milliseconds heartbeatInterval_;
    std::mutex mutex_;
    std::condition_variable wake_;
    Clock::time_point lastWrite_;
    bool stopping_ = false;
    std::atomic<bool> writeFailed_{false};
    std::thread heartbeat_;
};

// Runs the operation; whatever it throws becomes its error, so that nothing escapes the content
// provider (it runs outside httplib's exception handler: an exception there ends ppcsd).
Result<std::string> runCaught(const Operation& operation, EventStream& events) {
    std::string what;
    try {
        return operation(
            [&events](const std::string& phase, const std::string& text) {
                events.send(StreamEvent{StreamEvent::Kind::progress, phase, text});
            },
            [&events] { return events.clientPresent(); });
    } catch (const std::exception& e) {
        what = e.what();
    } catch (...) {
        what = "unknown exception";
    }
    return makeError(ErrorCode::failed, "unexpected failure in ppcsd: " + what);  // logged with the stream's end
}

void runStreamed(const std::string& name, const Operation& operation, httplib::DataSink& sink,
                 std::chrono::milliseconds heartbeat) {
    EventStream events(sink, heartbeat);
    auto result = runCaught(operation, events);
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
    events.finish(last);
}

// Streams a long operation as newline-delimited events: its progress lines as they happen,
// heartbeats while it is silent, then its JSON result or its error. The operation runs inside
// the first call of the content provider, which holds one of the stream slots until the
// response is gone; when none is free the answer is 503.
void streamOperation(httplib::Response& response, StreamSlots& slots, std::string name, Operation operation) {
    auto slot = slots.acquire();
    if (!slot)
        return replyError(response, makeError(ErrorCode::unavailable, "ppcsd already streams " + std::to_string(slots.most()) +
                                                                          " operations: try again when one of them ends"));
    auto heartbeat = slots.heartbeat();
    // The provider holds the slot: it is destroyed with the response, whether or not it ran.
    response.set_chunked_content_provider("application/x-ndjson",
                                          [name, operation, slot, heartbeat](size_t, httplib::DataSink& sink) {
                                              try {
                                                  runStreamed(name, operation, sink, heartbeat);
                                                  return true;
                                              } catch (const std::exception& e) {
                                                  log::error(name + ": the stream broke: " + e.what());
                                              } catch (...) {
                                                  log::error(name + ": the stream broke");
                                              }
                                              return false;
                                          });
}

// Decodes a request body with decode, then streams run(request) with its result encoded.
template <class Request, class Value>
void streamDecoded(const httplib::Request& http, httplib::Response& response, StreamSlots& slots, const std::string& name,
                   Result<Request> (*decode)(std::string_view), std::string (*encode)(const Value&),
                   std::function<Result<Value>(const Request&, const model::Progress&, const ClientProbe&)> run) {
    auto request = decode(http.body);
    if (!request) return replyError(response, request.error());
    streamOperation(response, slots, name,
                    [request = *request, encode, run](const model::Progress& progress,
                                                      const ClientProbe& clientPresent) -> Result<std::string> {
                        auto value = run(request, progress, clientPresent);
                        if (!value) return value.error();
                        return encode(*value);
                    });
}

// Routes under /v1/clusters/NAME: the name is checked before the handler sees it.
httplib::Server::Handler withClusterName(std::function<void(const std::string&, httplib::Response&)> handler) {
    return [handler](const httplib::Request& request, httplib::Response& response) {
        std::string name = request.matches[1];
        if (auto valid = model::validateClusterName(name); !valid) return replyError(response, valid.error());
        handler(name, response);
    };
}

}  // namespace

ApiServer::ApiServer(DaemonServices& services, std::string token, ServerLimits limits)
    : services_(services),
      token_(std::move(token)),
      streams_(std::make_unique<StreamSlots>(limits.maxStreams, limits.heartbeatInterval)),
      shells_(std::make_unique<ShellServer>(services, token_, limits.maxShells)),
      server_(std::make_unique<GuardedHttpServer>(ConnectionLimits{limits.headerDeadline,
                                                                   limits.headerDeadline + std::chrono::seconds(10),
                                                                   limits.maxHeaderBytes, limits.maxConnectionThreads})) {
    installRoutes();
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
        streamDecoded<model::BuildRequest, model::BuildOutcome>(
            request, response, *streams_, "build", decodeBuildRequest, encodeBuildOutcome,
            [this](const auto& build, const auto& progress, const auto&) { return services_.buildImage(build, progress); });
    });
    server_->Post("/v1/clusters/up", [this](const httplib::Request& request, httplib::Response& response) {
        streamDecoded<UpRequest, model::ClusterStatus>(
            request, response, *streams_, "up", decodeUpRequest, encodeClusterStatus,
            [this](const auto& up, const auto& progress, const auto&) { return services_.upCluster(up, progress); });
    });
    server_->Post("/v1/clusters/scale", [this](const httplib::Request& request, httplib::Response& response) {
        streamDecoded<ScaleRequest, model::ClusterStatus>(
            request, response, *streams_, "scale", decodeScaleRequest, encodeClusterStatus,
            [this](const auto& scale, const auto& progress, const auto&) { return services_.scaleCluster(scale, progress); });
    });
    server_->Post("/v1/clusters/down", [this](const httplib::Request& request, httplib::Response& response) {
        streamDecoded<DownRequest, model::DownReport>(
            request, response, *streams_, "down", decodeDownRequest, encodeDownReport,
            [this](const auto& down, const auto& progress, const auto&) { return services_.downCluster(down, progress); });
    });
    server_->Post("/v1/clusters/bench", [this](const httplib::Request& request, httplib::Response& response) {
        streamDecoded<model::BenchRequest, model::BenchReport>(
            request, response, *streams_, "bench", decodeBenchRequest, encodeBenchReport,
            [this](const auto& bench, const auto& progress, const auto&) { return services_.benchCluster(bench, progress); });
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
        streamDecoded<model::JobRequest, model::JobOutcome>(
            request, response, *streams_, "run", decodeJobRequest, encodeJobOutcome,
            [this](const auto& job, const auto& events, const auto& clientPresent) {
                return services_.runJob(job, events, clientPresent);
            });
    });
    server_->Post("/v1/files/copy", [this](const httplib::Request& request, httplib::Response& response) {
        streamDecoded<model::CopyRequest, model::CopyReport>(
            request, response, *streams_, "copy", decodeCopyRequest, encodeCopyReport,
            [this](const auto& copy, const auto& progress, const auto& clientPresent) {
                return services_.copyFiles(copy, progress, clientPresent);
            });
    });
    server_->Post("/v1/jobs/cancel", [this](const httplib::Request& request, httplib::Response& response) {
        auto cancel = decodeCancelRequest(request.body);
        if (!cancel) return replyError(response, cancel.error());
        auto cancelled = cancel->id ? services_.cancelJobById(*cancel->id) : Result<bool>(services_.cancelJob(cancel->cluster));
        if (!cancelled) return replyError(response, cancelled.error());
        response.set_content(encodeCancelReply(*cancelled), kJson);
    });
    server_->Post("/v1/jobs/prune", [this](const httplib::Request& request, httplib::Response& response) {
        auto prune = decodePruneRequest(request.body);
        if (!prune) return replyError(response, prune.error());
        auto report = services_.pruneJobs(prune->keep);
        if (!report) return replyError(response, report.error());
        response.set_content(encodePruneReport(*report), kJson);
    });
    server_->Get("/v1/jobs", [this](const httplib::Request& request, httplib::Response& response) {
        int limit = 50;
        if (request.has_param("limit")) {
            std::string text = request.get_param_value("limit");
            if (text.empty() || text.size() > 5 || text.find_first_not_of("0123456789") != std::string::npos ||
                std::stoi(text) < 1)
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
