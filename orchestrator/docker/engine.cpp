#include "docker/engine.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "common/strings.h"
#include "docker/codecs.h"

namespace ppcs::docker {
namespace {

ErrorCode codeForStatus(int status) {
    switch (status) {
        case 400:
            return ErrorCode::usage;
        case 401:
        case 403:
            return ErrorCode::permissionDenied;
        case 404:
            return ErrorCode::notFound;
        case 409:
            return ErrorCode::conflict;
        case 503:
            return ErrorCode::unavailable;
        default:
            return ErrorCode::failed;
    }
}

// "POST /build" for messages: the method and the path without version prefix or query.
std::string describeRequest(const HttpRequest& request) {
    std::string path = request.target.substr(0, request.target.find('?'));
    std::string prefix = "/v" + std::string(kApiVersion);
    if (startsWith(path, prefix)) path.erase(0, prefix.size());
    return request.method + " " + path;
}

// Podman answers 500 where Docker answers 409 (a name taken, a container or exec in the wrong
// state, a network still in use, for which Docker says 403); only the "cause" of its error body
// tells these conflicts from real failures.
ErrorCode codeForReply(int status, std::string_view body) {
    static const char* const conflictCauses[] = {"that name is already in use", "network already exists",
                                                 "volume already exists",       "container state improper",
                                                 "exec session state improper", "network is being used"};
    if (status == 500) {
        std::string cause = engineErrorCause(body);
        for (const char* conflict : conflictCauses)
            if (cause == conflict) return ErrorCode::conflict;
    }
    return codeForStatus(status);
}

// The reply as it came, or an error naming the request: a transport failure, or an engine status
// of 400 and above with the engine's message.
Result<HttpResponse> checked(const HttpRequest& request, Result<HttpResponse> reply) {
    if (!reply) return reply.error().context(describeRequest(request));
    if (reply->status >= 400)
        return makeError(
            codeForReply(reply->status, reply->body),
            describeRequest(request) + ": engine " + std::to_string(reply->status) + ": " + engineErrorMessage(reply->body));
    return reply;
}

HttpRequest makeRequest(std::string method, std::string target, std::string body = {}) {
    HttpRequest request;
    request.method = std::move(method);
    request.target = std::move(target);
    request.body = std::move(body);
    return request;
}

}  // namespace

bool failedForNoSwarm(const Error& error) {
    if (error.code == ErrorCode::notFound) return true;
    return error.code == ErrorCode::unavailable && error.message.find("docker swarm init") != std::string::npos;
}

bool apiVersionAtLeast(std::string_view version, std::string_view minimum) {
    auto parse = [](std::string_view text) {
        auto parts = split(text, '.');
        int major = parts.size() > 0 ? std::atoi(parts[0].c_str()) : 0;
        int minor = parts.size() > 1 ? std::atoi(parts[1].c_str()) : 0;
        return std::make_pair(major, minor);
    };
    return parse(version) >= parse(minimum);
}

Result<EngineClient> EngineClient::connect(std::shared_ptr<Transport> transport, std::chrono::seconds pingTimeout) {
    EngineClient client(std::move(transport));
    HttpRequest ping = makeRequest("GET", "/_ping");
    ping.idleTimeout = pingTimeout;
    auto reply = client.transport_->send(ping);
    if (!reply) return reply.error().context("GET /_ping");
    if (reply->status != 200)
        return makeError(codeForStatus(reply->status),
                         "GET /_ping: engine " + std::to_string(reply->status) + ": " + engineErrorMessage(reply->body));
    auto version = reply->headers.find("api-version");
    if (version == reply->headers.end())
        return makeError(ErrorCode::failed, "GET /_ping: the engine at " + client.endpoint() + " sent no API-Version");
    if (!apiVersionAtLeast(version->second, kApiVersion))
        return makeError(ErrorCode::unavailable, "the engine at " + client.endpoint() + " speaks API " + version->second +
                                                     ", older than the minimum " + std::string(kApiVersion));
    client.engineApiVersion_ = version->second;
    // Podman's service adds its own API version to every reply; Docker never sends this header.
    client.podman_ = reply->headers.count("libpod-api-version") > 0;
    return client;
}

Result<EngineClient> EngineClient::connectFromEnvironment() {
    auto endpoint = model::endpointFromEnvironment(model::processDockerEnvironment());
    if (!endpoint) return endpoint.error();
    return connectTo(*endpoint);
}

Result<EngineClient> EngineClient::connectTo(std::string_view endpoint, std::chrono::seconds pingTimeout) {
    auto parsed = parseEngineEndpoint(endpoint);
    if (!parsed) return parsed.error();
    return connectTo(*parsed, pingTimeout);
}

Result<EngineClient> EngineClient::connectTo(const EngineEndpoint& endpoint, std::chrono::seconds pingTimeout) {
    auto transport = makeTransport(endpoint);
    if (!transport) return transport.error();
    return connect(std::move(*transport), pingTimeout);
}

std::string EngineClient::versioned(std::string_view path) const { return "/v" + std::string(kApiVersion) + std::string(path); }

Result<HttpResponse> EngineClient::call(HttpRequest request) { return checked(request, transport_->send(request)); }

Result<HttpResponse> EngineClient::call(const std::string& method, const std::string& path, std::string body) {
    return call(makeRequest(method, versioned(path), std::move(body)));
}

Result<std::vector<ProgressMessage>> EngineClient::streamProgress(HttpRequest request, const ProgressSink& progress) {
    LineSplitter splitter;
    std::vector<ProgressMessage> messages;
    std::string failure;
    auto handleLine = [&](const std::string& line) {
        auto message = decodeProgressLine(line);
        if (!message) {
            if (progress) progress(line);
            return;
        }
        if (!message->error.empty() && failure.empty()) failure = message->error;
        if (progress && !message->text.empty()) progress(message->text);
        messages.push_back(std::move(*message));
    };
    auto reply = checked(request, transport_->stream(request, [&](std::string_view piece) {
        for (const auto& line : splitter.feed(piece)) handleLine(line);
        return true;
    }));
    if (!reply) return reply.error();
    if (auto last = splitter.rest(); !trim(last).empty()) handleLine(last);
    if (!failure.empty())
        return makeError(ErrorCode::failed, describeRequest(request) + ": engine " + std::to_string(reply->status) +
                                                " with an error in the stream: " + std::string(trim(failure)));
    return messages;
}

Result<std::optional<ImageInfo>> EngineClient::inspectImage(const std::string& nameOrId) {
    auto reply = call(makeRequest("GET", versioned("/images/" + encodePathPart(nameOrId) + "/json")));
    if (!reply && reply.error().code == ErrorCode::notFound) return std::optional<ImageInfo>();
    if (!reply) return reply.error();
    auto info = decodeImageInfo(reply->body);
    if (!info) return info.error();
    return std::optional<ImageInfo>(std::move(*info));
}

Status EngineClient::pullImage(const std::string& image, const std::string& tag, const ProgressSink& progress,
                               std::chrono::seconds idleTimeout) {
    auto request =
        makeRequest("POST", versioned("/images/create?fromImage=" + percentEncode(image) + "&tag=" + percentEncode(tag)));
    request.idleTimeout = idleTimeout;
    auto streamed = streamProgress(std::move(request), progress);
    if (!streamed) return streamed.error();
    return {};
}

Result<std::string> EngineClient::importImage(std::string rootfsTar, const std::string& repo, const std::string& tag,
                                              const std::vector<std::string>& changes, const ProgressSink& progress) {
    // The tag goes inside repo ("name:tag", which the API allows): Podman ignores ?tag= on an
    // import and would name the image name:latest.
    std::string target = versioned("/images/create?fromSrc=-&repo=" + percentEncode(tag.empty() ? repo : repo + ":" + tag));
    for (const auto& change : changes) target += "&changes=" + percentEncode(change);
    auto request = makeRequest("POST", std::move(target), std::move(rootfsTar));
    request.contentType = "application/x-tar";
    request.idleTimeout = std::chrono::seconds(600);
    auto messages = streamProgress(std::move(request), progress);
    if (!messages) return messages.error();
    for (auto it = messages->rbegin(); it != messages->rend(); ++it)
        if (startsWith(it->text, "sha256:")) return it->text;
    auto inspected = inspectImage(repo + ":" + tag);
    if (inspected && *inspected) return (*inspected)->id;
    return makeError(ErrorCode::failed, "POST /images/create: import finished without naming the new image");
}

Result<std::string> EngineClient::pushImage(const std::string& repo, const std::string& tag, const ProgressSink& progress) {
    auto request = makeRequest("POST", versioned("/images/" + encodePathPart(repo) + "/push?tag=" + percentEncode(tag)));
    request.headers["X-Registry-Auth"] = base64Encode("{}");  // anonymous; the engine refuses a push without the header
    request.idleTimeout = std::chrono::seconds(600);
    auto messages = streamProgress(std::move(request), progress);
    if (!messages) return messages.error();
    for (auto it = messages->rbegin(); it != messages->rend(); ++it)
        if (startsWith(it->auxDigest, "sha256:")) return it->auxDigest;
    return makeError(ErrorCode::failed, "POST /images/" + repo + "/push: the push finished without naming a digest");
}

Status EngineClient::saveImage(const std::string& nameOrId, const BodySink& sink) {
    auto request = makeRequest("GET", versioned("/images/" + encodePathPart(nameOrId) + "/get"));
    request.idleTimeout = std::chrono::seconds(300);
    if (auto reply = checked(request, transport_->stream(request, sink)); !reply) return reply.error();
    return {};
}

Status EngineClient::loadImage(const BodySource& source) {
    auto request = makeRequest("POST", versioned("/images/load?quiet=1"));
    request.contentType = "application/x-tar";
    request.idleTimeout = std::chrono::seconds(300);
    auto reply = checked(request, transport_->upload(request, source));
    if (!reply) return reply.error();
    LineSplitter splitter;
    auto lines = splitter.feed(reply->body);
    lines.push_back(splitter.rest());
    for (const auto& line : lines) {
        auto message = decodeProgressLine(line);
        if (message && !message->error.empty())
            return makeError(ErrorCode::failed, describeRequest(request) + ": engine " + std::to_string(reply->status) +
                                                    " with an error in the stream: " + std::string(trim(message->error)));
    }
    return {};
}

Result<std::string> EngineClient::buildImage(const BuildParams& params, const ProgressSink& progress) {
    std::string target = versioned("/build?rm=1&forcerm=1&labels=" + percentEncode(encodeStringMap(params.labels)));
    if (params.noCache) target += "&nocache=1";
    if (!params.buildArgs.empty()) target += "&buildargs=" + percentEncode(encodeStringMap(params.buildArgs));
    auto request = makeRequest("POST", std::move(target), params.contextTar);
    request.contentType = "application/x-tar";
    request.idleTimeout = params.idleTimeout;
    auto messages = streamProgress(std::move(request), progress);
    if (!messages) return messages.error();
    std::string named;
    for (auto it = messages->rbegin(); it != messages->rend() && named.empty(); ++it) {
        if (!it->auxId.empty())
            named = it->auxId;
        else if (startsWith(it->text, "Successfully built "))
            named = std::string(trim(it->text.substr(19)));
    }
    if (named.empty()) return makeError(ErrorCode::failed, "POST /build: the build finished without naming an image");
    // The classic builder names the image by a short ID: resolve it to the full one.
    auto image = inspectImage(named);
    if (!image) return image.error();
    if (!*image) return makeError(ErrorCode::failed, "POST /build: built image " + named + " is gone");
    return (*image)->id;
}

Status EngineClient::tagImage(const std::string& imageId, const std::string& repo, const std::string& tag) {
    auto reply = call(makeRequest("POST", versioned("/images/" + encodePathPart(imageId) + "/tag?repo=" + percentEncode(repo) +
                                                    "&tag=" + percentEncode(tag))));
    if (!reply) return reply.error();
    return {};
}

Status EngineClient::removeImage(const std::string& nameOrId, bool force) {
    auto reply = call(makeRequest("DELETE", versioned("/images/" + encodePathPart(nameOrId) + (force ? "?force=1" : ""))));
    if (!reply) return reply.error();
    return {};
}

Result<std::string> EngineClient::createContainer(const ContainerSpec& spec) {
    std::string target = versioned("/containers/create");
    if (!spec.name.empty()) target += "?name=" + percentEncode(spec.name);
    auto reply = call(makeRequest("POST", std::move(target), encodeContainerSpec(spec)));
    if (!reply) return reply.error();
    return decodeCreatedId(reply->body);
}

Status EngineClient::startContainer(const std::string& id) {
    auto reply = call(makeRequest("POST", versioned("/containers/" + encodePathPart(id) + "/start")));
    if (!reply) return reply.error();
    return {};
}

Status EngineClient::removeContainer(const std::string& id, bool force) {
    auto reply = call(makeRequest("DELETE", versioned("/containers/" + encodePathPart(id) + "?v=1" + (force ? "&force=1" : ""))));
    if (!reply) return reply.error();
    return {};
}

Result<ContainerStats> EngineClient::containerStats(const std::string& id) {
    std::string path = "/containers/" + encodePathPart(id) + "/stats?stream=false";
    auto reply = call("GET", path);
    if (!reply) return reply.error();
    // Podman answers a container that is not running with an empty 200 where Docker sends a
    // sample of zeros: the same zeros here.
    if (podman_ && trim(reply->body).empty()) return ContainerStats{};
    auto previous = statsHavePreviousSample(reply->body);
    if (!previous) return previous.error();
    // Docker's replies for a stopped container have no earlier sample either: only Podman's get a
    // second look.
    if (*previous || !podman_) return decodeContainerStats(reply->body);
    // Podman answers at once with a single sample: take the second one a second later, as
    // Docker does before it answers.
    std::this_thread::sleep_for(std::chrono::seconds(1));
    auto later = call("GET", path);
    if (!later) return later.error();
    return decodeContainerStatsPair(reply->body, later->body);
}

Status EngineClient::killContainer(const std::string& id) {
    auto reply = call(makeRequest("POST", versioned("/containers/" + encodePathPart(id) + "/kill")));
    if (!reply) return reply.error();
    return {};
}

Status EngineClient::followEvents(const std::map<std::string, std::vector<std::string>>& filters, std::int64_t sinceSeconds,
                                  std::chrono::seconds idle, const std::function<bool(const EngineEvent&)>& onEvent) {
    auto request = makeRequest("GET", versioned("/events?since=" + std::to_string(sinceSeconds) + "&filters=" +
                                                percentEncode(encodeFilters(podman_ ? podmanEventFilters(filters) : filters))));
    request.idleTimeout = idle;
    LineSplitter splitter;
    bool stopped = false;
    auto reply = transport_->stream(request, [&](std::string_view piece) {
        for (const auto& line : splitter.feed(piece)) {
            auto event = decodeEvent(line);
            if (event && !onEvent(*event)) {
                stopped = true;
                return false;
            }
        }
        return true;
    });
    if (stopped) return {};
    reply = checked(request, std::move(reply));
    if (!reply) return reply.error();
    return {};
}

Result<std::vector<EngineEvent>> EngineClient::pastEvents(const std::map<std::string, std::vector<std::string>>& filters,
                                                          std::int64_t sinceSeconds, double untilSeconds) {
    // Podman 4.3 often answers an `until` already past with no events at all (it stops reading
    // its event log when the deadline fires, before the log was read): ask it until a second from
    // now, which it answers fully when that second is over, and drop what came after untilSeconds.
    double askedUntil = untilSeconds;
    if (podman_) {
        auto now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
        askedUntil = std::max(untilSeconds, now + 1.0);
    }
    char until[32];
    std::snprintf(until, sizeof until, "%.9f", askedUntil);
    auto reply =
        call(makeRequest("GET", versioned("/events?since=" + std::to_string(sinceSeconds) + "&until=" + until + "&filters=" +
                                          percentEncode(encodeFilters(podman_ ? podmanEventFilters(filters) : filters)))));
    if (!reply) return reply.error().context("read the engine's events");
    LineSplitter splitter;
    std::vector<EngineEvent> events;
    auto lines = splitter.feed(reply->body);
    lines.push_back(splitter.rest());
    auto untilNano = static_cast<std::int64_t>(untilSeconds * 1e9);
    for (const auto& line : lines)
        if (auto event = decodeEvent(line); event && !trim(line).empty() && event->timeNano <= untilNano)
            events.push_back(std::move(*event));
    return events;
}

Result<std::vector<ContainerSummary>> EngineClient::listContainers(const Labels& labelFilter, bool all) {
    std::string target = versioned("/containers/json?filters=" + percentEncode(encodeLabelFilter(labelFilter)));
    if (all) target += "&all=1";
    auto reply = call(makeRequest("GET", std::move(target)));
    if (!reply) return reply.error();
    return decodeContainerList(reply->body);
}

Status EngineClient::putArchive(const std::string& containerId, const std::string& dir, std::string tar) {
    auto request = makeRequest(
        "PUT", versioned("/containers/" + encodePathPart(containerId) + "/archive?path=" + percentEncode(dir)), std::move(tar));
    request.contentType = "application/x-tar";
    auto reply = call(std::move(request));
    if (!reply) return reply.error();
    return {};
}

Status EngineClient::putArchiveStream(const std::string& containerId, const std::string& dir, const BodySource& source) {
    auto request =
        makeRequest("PUT", versioned("/containers/" + encodePathPart(containerId) + "/archive?path=" + percentEncode(dir)));
    request.contentType = "application/x-tar";
    if (auto reply = checked(request, transport_->upload(request, source)); !reply) return reply.error();
    return {};
}

Status EngineClient::getArchive(const std::string& containerId, const std::string& path, const BodySink& sink) {
    auto request =
        makeRequest("GET", versioned("/containers/" + encodePathPart(containerId) + "/archive?path=" + percentEncode(path)));
    request.idleTimeout = std::chrono::seconds(300);
    if (auto reply = checked(request, transport_->stream(request, sink)); !reply) return reply.error();
    return {};
}

Result<std::string> EngineClient::createExec(const std::string& containerId, const ExecSpec& spec) {
    auto reply =
        call(makeRequest("POST", versioned("/containers/" + encodePathPart(containerId) + "/exec"), encodeExecSpec(spec)));
    if (!reply) return reply.error();
    return decodeCreatedId(reply->body);
}

Status EngineClient::startExec(const std::string& execId, const OutputSink& sink, std::chrono::seconds idleTimeout) {
    auto request =
        makeRequest("POST", versioned("/exec/" + encodePathPart(execId) + "/start"), R"({"Detach":false,"Tty":false})");
    request.idleTimeout = idleTimeout;
    ExecDemuxer demuxer;
    std::optional<Error> streamError;
    auto reply = checked(request, transport_->stream(request, [&](std::string_view piece) {
        auto fed = demuxer.feed(piece, sink);
        if (!fed) streamError = fed.error();
        return fed && *fed;
    }));
    if (!reply) return reply.error();
    if (streamError) return streamError->context(describeRequest(request));
    return {};
}

Result<ExecState> EngineClient::inspectExec(const std::string& execId) {
    auto reply = call(makeRequest("GET", versioned("/exec/" + encodePathPart(execId) + "/json")));
    if (!reply) return reply.error();
    return decodeExecState(reply->body);
}

Result<std::unique_ptr<ByteStream>> EngineClient::startExecAttached(const std::string& execId, bool tty,
                                                                    std::chrono::seconds idleTimeout) {
    auto request = makeRequest("POST", versioned("/exec/" + encodePathPart(execId) + "/start"),
                               tty ? R"({"Detach":false,"Tty":true})" : R"({"Detach":false,"Tty":false})");
    request.idleTimeout = idleTimeout;
    auto hijacked = transport_->hijack(request);
    if (!hijacked) return hijacked.error().context(describeRequest(request));
    auto reply = checked(request, hijacked->response);
    if (!reply) return reply.error();
    if (!hijacked->stream)
        return makeError(ErrorCode::failed,
                         describeRequest(request) + ": engine " + std::to_string(reply->status) + " without a stream");
    return std::move(hijacked->stream);
}

Status EngineClient::resizeExec(const std::string& execId, int cols, int rows) {
    auto reply =
        call("POST", "/exec/" + encodePathPart(execId) + "/resize?h=" + std::to_string(rows) + "&w=" + std::to_string(cols));
    if (!reply) return reply.error();
    return {};
}

Result<int> Engine::execExitCode(const std::string& execId) {
    for (int attempt = 0; attempt < 100; ++attempt) {
        auto state = inspectExec(execId);
        if (!state) return state.error();
        if (!state->running && state->exitCode) return *state->exitCode;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return makeError(ErrorCode::timeout, "exec " + execId.substr(0, 12) + ": output ended but no exit code came within 2 s");
}

Result<int> Engine::runExecStreaming(const std::string& containerId, const ExecSpec& spec, const OutputSink& sink,
                                     std::chrono::seconds idleTimeout) {
    auto execId = createExec(containerId, spec);
    if (!execId) return execId.error();
    if (auto streamed = startExec(*execId, sink, idleTimeout); !streamed) return streamed.error();
    return execExitCode(*execId);
}

Result<ExecOutcome> Engine::runExec(const std::string& containerId, const ExecSpec& spec, std::chrono::seconds idleTimeout) {
    ExecOutcome outcome;
    auto code = runExecStreaming(
        containerId, spec,
        [&outcome](OutputStream which, std::string_view piece) {
            (which == OutputStream::out ? outcome.out : outcome.err).append(piece);
            return true;
        },
        idleTimeout);
    if (!code) return code.error();
    outcome.exitCode = *code;
    return outcome;
}

}  // namespace ppcs::docker
