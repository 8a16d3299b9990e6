#include "api/shell_server.h"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <mutex>
#include <regex>
#include <thread>

#include "api/operations.h"
#include "api/server.h"
#include "api/shell_protocol.h"
#include "cluster/spec.h"
#include "common/guarded.h"
#include "common/log.h"
#include "common/token.h"

namespace ppcs::api {
namespace {

using Clock = std::chrono::steady_clock;

constexpr auto kPollStep = std::chrono::milliseconds(100);
// A client that takes no bytes for this long while output waits is treated as gone.
constexpr auto kClientWriteLimit = std::chrono::seconds(30);

// Sends all of bytes, waiting for the client to take them at most kClientWriteLimit per step.
bool sendAll(int socket, std::string_view bytes) {
    while (!bytes.empty()) {
        pollfd ready{socket, POLLOUT, 0};
        int polled = ::poll(&ready, 1, static_cast<int>(std::chrono::milliseconds(kClientWriteLimit).count()));
        if (polled < 0 && errno == EINTR) continue;
        if (polled <= 0 || (ready.revents & (POLLERR | POLLHUP | POLLNVAL))) return false;
        ssize_t sent = ::send(socket, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (sent < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;
        if (sent <= 0) return false;
        bytes.remove_prefix(static_cast<std::size_t>(sent));
    }
    return true;
}

const char* reasonPhrase(int status) {
    switch (status) {
        case 400:
            return "Bad Request";
        case 401:
            return "Unauthorized";
        case 404:
            return "Not Found";
        case 409:
            return "Conflict";
        case 413:
            return "Payload Too Large";
        case 503:
            return "Service Unavailable";
        case 504:
            return "Gateway Timeout";
        default:
            return "Internal Server Error";
    }
}

void replyError(int socket, const Error& error) {
    int status = httpStatusFor(error.code);
    std::string body = encodeError(error);
    std::string reply = "HTTP/1.1 " + std::to_string(status) + " " + reasonPhrase(status) +
                        "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
                        "\r\nConnection: close\r\n\r\n" + body;
    (void)sendAll(socket, reply);  // a client that left needs no answer
}

// The request's body: early bytes, then the rest of Content-Length until the request's deadline.
Result<std::string> readBody(int socket, UpgradeRequest& request) {
    auto length = request.headers.find("content-length");
    if (length == request.headers.end()) return std::string();
    const std::string& text = length->second;
    if (text.empty() || text.size() > 9 || text.find_first_not_of("0123456789") != std::string::npos)
        return makeError(ErrorCode::usage, "bad Content-Length");
    std::size_t expected = std::stoul(text);
    if (expected > kMaxRequestBytes)
        return makeError(ErrorCode::tooLarge, "request body over " + std::to_string(kMaxRequestBytes) + " bytes");
    std::string body = std::move(request.early);
    char chunk[4096];
    while (body.size() < expected) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(request.deadline - Clock::now());
        pollfd ready{socket, POLLIN, 0};
        if (left.count() <= 0 || ::poll(&ready, 1, static_cast<int>(left.count())) <= 0)
            return makeError(ErrorCode::timeout, "the request's body did not arrive in time");
        ssize_t got = ::recv(socket, chunk, sizeof chunk, 0);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) return makeError(ErrorCode::usage, "the client closed before its request's body was complete");
        body.append(chunk, static_cast<std::size_t>(got));
    }
    // Bytes beyond the body would be frames sent before the upgrade was granted: the protocol forbids them.
    if (body.size() > expected) return makeError(ErrorCode::usage, "bytes after the request's body before the upgrade");
    return body;
}

// A held session slot, released when destroyed.
class SessionSlot {
public:
    SessionSlot(std::atomic<std::size_t>& active, std::size_t most) : active_(active) { held_ = active_.fetch_add(1) < most; }
    ~SessionSlot() { active_.fetch_sub(1); }
    SessionSlot(const SessionSlot&) = delete;
    SessionSlot& operator=(const SessionSlot&) = delete;
    bool held() const { return held_; }

private:
    std::atomic<std::size_t>& active_;
    bool held_ = false;
};

// One session after the 101: output relayed by a thread of its own, input and resizes here.
class Relay {
public:
    Relay(int socket, jobs::ShellProcess& process, std::string what)
        : socket_(socket), process_(process), what_(std::move(what)) {}

    void run(const std::function<bool()>& stopping) {
        std::thread output([this] { runGuarded(what_ + " output", [this] { relayOutput(); }); });
        relayInput(stopping);
        output.join();
    }

private:
    void relayOutput() {
        while (true) {
            auto next = process_.readOutput();
            if (!next || !*next) {
                outputEnded_ = true;
                if (abandoned_) return finishWith(encodeFrame(FrameType::failure, abandonReason()));
                if (!next) return finishWith(encodeFrame(FrameType::failure, next.error().message));
                auto status = process_.exitCode();
                if (status) log::info(what_ + ": ended with exit status " + std::to_string(*status));
                return finishWith(status ? encodeExitFrame(*status) : encodeFrame(FrameType::failure, status.error().message));
            }
            if (!sendAll(socket_, encodeFrame((*next)->isErr ? FrameType::errorOutput : FrameType::output, (*next)->bytes))) {
                clientGone_ = true;
                return;
            }
        }
    }

    void finishWith(const std::string& frame) {
        (void)sendAll(socket_, frame);  // a client that left needs no last word
        finished_ = true;
    }

    void relayInput(const std::function<bool()>& stopping) {
        FrameDecoder decoder;
        char chunk[16 * 1024];
        while (!finished_) {
            if (clientGone_) return abandon("the client stopped reading");
            if (stopping()) return abandon("ppcsd is stopping");
            pollfd ready{socket_, POLLIN, 0};
            int polled = ::poll(&ready, 1, static_cast<int>(kPollStep.count()));
            if (polled <= 0) continue;
            ssize_t got = ::recv(socket_, chunk, sizeof chunk, 0);
            if (got < 0 && errno == EINTR) continue;
            if (got <= 0) {
                if (!outputEnded_) abandon("the client went away");
                return;
            }
            auto frames = decoder.feed(std::string_view(chunk, static_cast<std::size_t>(got)));
            if (!frames) return abandon("the client sent a bad frame: " + frames.error().message);
            for (const auto& frame : *frames)
                if (!apply(frame)) return abandon("the client sent a frame only ppcsd sends");
        }
    }

    // Input that the process no longer takes (it closed its stdin, or ended) is dropped: its end
    // shows in the output.
    bool apply(const Frame& frame) {
        switch (frame.type) {
            case FrameType::input:
                if (!inputClosed_) (void)process_.writeInput(frame.payload);
                return true;
            case FrameType::inputEnd:
                if (!inputClosed_) process_.closeInput();
                inputClosed_ = true;
                return true;
            case FrameType::resize: {
                auto size = resizeOf(frame);
                if (size.cols > 0 && size.rows > 0) (void)process_.resize(size.cols, size.rows);  // a lost resize only misdraws
                return true;
            }
            default:
                return false;
        }
    }

    void abandon(const std::string& reason) {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            abandonReason_ = reason;
        }
        abandoned_ = true;
        log::info(what_ + ": " + reason + ": ending its processes");
        process_.abandon();
    }

    std::string abandonReason() {
        std::lock_guard<std::mutex> lock(mutex_);
        return abandonReason_;
    }

    int socket_;
    jobs::ShellProcess& process_;
    std::string what_;
    std::atomic<bool> outputEnded_{false};
    std::atomic<bool> finished_{false};
    std::atomic<bool> clientGone_{false};
    std::atomic<bool> abandoned_{false};
    bool inputClosed_ = false;
    std::mutex mutex_;
    std::string abandonReason_;
};

}  // namespace

void ShellServer::serve(UpgradeRequest& request, int socket, const std::function<bool()>& stopping) {
    if (!bearerMatches(request.headers["authorization"], token_))
        return replyError(socket, makeError(ErrorCode::unauthorized, "missing or wrong bearer token"));
    static const std::regex route(routePattern(kOpenShell.path));
    std::smatch match;
    if (request.method != methodName(kOpenShell.method) || !std::regex_match(request.path, match, route))
        return replyError(socket, makeError(ErrorCode::notFound, "no upgrade route " + request.method + " " + request.path));
    if (request.headers["upgrade"] != kShellUpgrade)
        return replyError(socket, makeError(ErrorCode::usage, "unsupported upgrade '" + request.headers["upgrade"] +
                                                                  "' (this ppcsd speaks " + kShellUpgrade + ")"));
    std::string cluster = match[1];
    if (auto valid = model::validateClusterName(cluster); !valid) return replyError(socket, valid.error());
    auto body = readBody(socket, request);
    if (!body) return replyError(socket, body.error());
    auto shell = kOpenShell.readRequest(WireRequest{cluster, {}, *body});
    if (!shell) return replyError(socket, shell.error());
    SessionSlot slot(active_, maxSessions_);
    if (!slot.held())
        return replyError(socket, makeError(ErrorCode::unavailable, "ppcsd already runs " + std::to_string(maxSessions_) +
                                                                        " shells: try again when one ends"));
    std::string what =
        "shell on '" + cluster + "' " + (shell->node > 0 ? "node " + std::to_string(shell->node) : std::string("head"));
    auto process = services_.openShell(*shell);
    if (!process) {
        log::warn(what + ": " + process.error().message);
        return replyError(socket, process.error());
    }
    std::string upgraded =
        std::string("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: ") + kShellUpgrade + "\r\n\r\n";
    log::info(what + ": opened");
    if (!sendAll(socket, upgraded)) {
        log::info(what + ": the client went away before the session started: ending its processes");
        (*process)->abandon();
        return;
    }
    Relay(socket, **process, what).run(stopping);
}

}  // namespace ppcs::api
