#include "api/shell_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace ppcs::api {
namespace {

using Clock = std::chrono::steady_clock;

Error unreachable(const Endpoint& endpoint, const std::string& why) {
    return makeError(ErrorCode::unavailable, "cannot reach ppcsd on 127.0.0.1:" + std::to_string(endpoint.port) + ": " + why);
}

bool waitFor(int socket, short events, Clock::time_point deadline) {
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
        if (left <= 0) return false;
        pollfd ready{socket, events, 0};
        int polled = ::poll(&ready, 1, static_cast<int>(left));
        if (polled > 0) return true;
        if (polled < 0 && errno != EINTR) return false;
    }
}

// A socket connected to ppcsd, or -1 with why set.
int connectTo(int port, std::string& why) {
    int socket = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (socket < 0) {
        why = std::strerror(errno);
        return -1;
    }
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(socket, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        why = std::strerror(errno);
        ::close(socket);
        return -1;
    }
    // A loopback connect is answered at once, refused or accepted: no time limit needed.
    int on = 1;
    ::setsockopt(socket, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);  // keystrokes go out one by one
    return socket;
}

bool sendAll(int socket, std::string_view bytes) {
    while (!bytes.empty()) {
        ssize_t sent = ::send(socket, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (sent < 0 && errno == EINTR) continue;
        if (sent <= 0) return false;
        bytes.remove_prefix(static_cast<std::size_t>(sent));
    }
    return true;
}

// Reads until the reply's header block is complete: the block and what followed it.
Result<std::string> readReplyHeader(int socket, Clock::time_point deadline) {
    std::string reply;
    char chunk[4096];
    while (reply.find("\r\n\r\n") == std::string::npos) {
        if (reply.size() > 64 * 1024) return makeError(ErrorCode::failed, "ppcsd's reply header is too long");
        if (!waitFor(socket, POLLIN, deadline))
            return makeError(ErrorCode::timeout, "ppcsd did not answer the shell request in time (see its log)");
        ssize_t got = ::recv(socket, chunk, sizeof chunk, 0);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) return makeError(ErrorCode::unavailable, "ppcsd closed the connection without answering the shell request");
        reply.append(chunk, static_cast<std::size_t>(got));
    }
    return reply;
}

int statusOf(std::string_view reply) {
    // "HTTP/1.1 101 ..."
    auto space = reply.find(' ');
    if (space == std::string_view::npos || reply.size() < space + 4) return 0;
    int status = 0;
    for (char c : reply.substr(space + 1, 3)) {
        if (c < '0' || c > '9') return 0;
        status = status * 10 + (c - '0');
    }
    return status;
}

// The refusal's body: what came with the header, then the rest until ppcsd closes (it always
// closes after an error) or the deadline.
Error refusal(int socket, const std::string& reply, int status, Clock::time_point deadline) {
    std::string body = reply.substr(reply.find("\r\n\r\n") + 4);
    char chunk[4096];
    while (body.size() < 64 * 1024 && waitFor(socket, POLLIN, deadline)) {
        ssize_t got = ::recv(socket, chunk, sizeof chunk, 0);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) break;
        body.append(chunk, static_cast<std::size_t>(got));
    }
    return decodeError(body, status);
}

// Closes the socket on every way out but the one that hands it over.
class SocketGuard {
public:
    explicit SocketGuard(int socket) : socket_(socket) {}
    ~SocketGuard() {
        if (socket_ >= 0) ::close(socket_);
    }
    SocketGuard(const SocketGuard&) = delete;
    SocketGuard& operator=(const SocketGuard&) = delete;
    int release() { return std::exchange(socket_, -1); }

private:
    int socket_;
};

}  // namespace

ShellConnection::~ShellConnection() { ::close(socket_); }

Status ShellConnection::send(std::string_view frame) {
    if (!sendAll(socket_, frame)) return makeError(ErrorCode::unavailable, "the connection to ppcsd broke");
    return {};
}

Result<std::unique_ptr<ShellConnection>> openShellConnection(const Endpoint& endpoint, const model::ShellRequest& request,
                                                             std::chrono::seconds openLimit) {
    auto deadline = Clock::now() + openLimit;
    std::string why;
    int socket = connectTo(endpoint.port, why);
    if (socket < 0) return unreachable(endpoint, why);
    SocketGuard guard(socket);
    WireRequest wire = kOpenShell.writeRequest(request);
    std::string head = std::string(methodName(kOpenShell.method)) + " " + targetOf(kOpenShell.path, wire) +
                       " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + endpoint.token +
                       "\r\nConnection: Upgrade\r\nUpgrade: " + kShellUpgrade +
                       "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(wire.body.size()) + "\r\n\r\n";
    if (!sendAll(socket, head + wire.body)) return unreachable(endpoint, "the connection broke while sending the shell request");
    auto reply = readReplyHeader(socket, deadline);
    if (!reply) return reply.error();
    int status = statusOf(*reply);
    if (status != 101) return refusal(socket, *reply, status, Clock::now() + std::chrono::seconds(5));
    std::string early = reply->substr(reply->find("\r\n\r\n") + 4);
    return std::make_unique<ShellConnection>(guard.release(), std::move(early));
}

}  // namespace ppcs::api
