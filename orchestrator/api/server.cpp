#include "api/server.h"

#include <httplib.h>

#include "common/log.h"
#include "common/token.h"

namespace ppcs::api {
namespace {

constexpr const char* kJson = "application/json";

void replyError(httplib::Response& response, const Error& error) {
    response.status = httpStatusFor(error.code);
    response.set_content(encodeError(error), kJson);
}

// Streams a build as newline-delimited events. The build runs inside the first call of the
// content provider, writing each progress line to the client as it happens.
void streamBuild(DaemonServices& services, const image::BuildRequest& request, httplib::Response& response) {
    response.set_chunked_content_provider("application/x-ndjson", [&services, request](size_t, httplib::DataSink& sink) {
        auto send = [&sink](const BuildEvent& event) {
            std::string line = encodeBuildEvent(event) + "\n";
            sink.write(line.data(), line.size());
        };
        auto outcome = services.buildImage(request, [&send](const std::string& phase, const std::string& text) {
            BuildEvent event;
            event.phase = phase;
            event.text = text;
            send(event);
        });
        BuildEvent last;
        if (outcome) {
            last.kind = BuildEvent::Kind::result;
            last.outcome = *outcome;
            log::info("built image " + outcome->imageRef + (outcome->reused ? " (up to date)" : ""));
        } else {
            last.kind = BuildEvent::Kind::error;
            last.error = outcome.error();
            log::warn(outcome.error().message);
        }
        send(last);
        sink.done();
        return true;
    });
}

}  // namespace

ApiServer::ApiServer(DaemonServices& services, std::string token)
    : services_(services), token_(std::move(token)), server_(std::make_unique<httplib::Server>()) {
    installRoutes();
}

ApiServer::~ApiServer() = default;

void ApiServer::installRoutes() {
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

    server_->Get("/v1/version", [](const httplib::Request&, httplib::Response& response) {
        response.set_content(encodeVersion(VersionInfo{PPCS_VERSION, kProtocolVersion}), kJson);
    });
    server_->Get("/v1/daemon", [this](const httplib::Request&, httplib::Response& response) {
        response.set_content(encodeDaemonStatus(services_.status()), kJson);
    });
    server_->Post("/v1/daemon/stop", [this](const httplib::Request&, httplib::Response& response) {
        response.set_content(R"({"stopping":true})", kJson);
        services_.requestStop();
    });
    server_->Post("/v1/images/build", [this](const httplib::Request& request, httplib::Response& response) {
        auto build = decodeBuildRequest(request.body);
        if (!build) return replyError(response, build.error());
        streamBuild(services_, *build, response);
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
