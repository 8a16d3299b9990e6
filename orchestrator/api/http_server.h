#pragma once
// cpp-httplib's server, hardened for ppcsd (api/server.cpp only: this header includes httplib).
//
// Debian's cpp-httplib 0.11 serves each connection from a pool of 8 threads with only a per-recv
// read timeout, so a few clients that trickle header bytes occupy every thread. Here:
//   - a connection is handed to httplib only once its whole header block has arrived, within a
//     total deadline and a size bound; else it is closed unanswered;
//   - the whole request (headers and body) must arrive within a total deadline;
//   - one request per connection, so every request passes that guard;
//   - each connection runs on its own thread, up to a cap; beyond it, connections wait their
//     turn. stop() closes waiting connections unanswered; serve returns once every thread joined.

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>

#include "api/upgrade_request.h"

namespace ppcs::api {

struct ConnectionLimits {
    std::chrono::milliseconds headerDeadline{5000};    // from accept to the end of the headers
    std::chrono::milliseconds requestDeadline{15000};  // from accept to the end of the body
    std::size_t maxHeaderBytes = 16 * 1024;
    std::size_t maxThreads = 128;
};

// The client connection served by the calling thread: valid in a route handler and in its
// content provider (both run on the connection's thread). Copies may be used from any thread.
class Connection {
public:
    explicit Connection(int socket) : socket_(socket) {}
    // True once the client closed or reset its end, seen without consuming request bytes; also
    // true once the server closed the connection.
    bool peerGone() const;
    void markClosed() { closed_ = true; }

private:
    int socket_;
    std::atomic<bool> closed_{false};
};

// The calling thread's connection; null outside a connection's thread.
std::shared_ptr<Connection> currentConnection();

// Serves a connection whose request asked for an upgrade; the server closes socket once it
// returns. stopping() turns true when the server stops: the handler should end soon after.
using UpgradeHandler = std::function<void(UpgradeRequest& request, int socket, const std::function<bool()>& stopping)>;

class GuardedHttpServer : public httplib::Server {
public:
    explicit GuardedHttpServer(ConnectionLimits limits);
    // Requests with an Upgrade header go to handler instead of httplib (which cannot hand a
    // connection over); without a handler they are served as any other request.
    void setUpgradeHandler(UpgradeHandler handler) { upgradeHandler_ = std::move(handler); }

private:
    bool process_and_close_socket(socket_t sock) override;
    bool stopping() const { return svr_sock_ == INVALID_SOCKET; }

    ConnectionLimits limits_;
    UpgradeHandler upgradeHandler_;
};

}  // namespace ppcs::api
