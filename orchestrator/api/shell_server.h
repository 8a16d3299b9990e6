#pragma once
// ppcsd's side of `ppcs-cluster shell` (the protocol is in shell_protocol.h): checks the upgraded
// request like any route (token, cluster name, body), opens the session through DaemonServices,
// answers 101 and relays frames until the process ends or the client goes. A client that goes
// (closed, reset, sends garbage, stops reading for 30 s) gets its session's processes ended.

#include <atomic>
#include <cstddef>
#include <functional>
#include <string>

#include "api/upgrade_request.h"

namespace ppcs::api {

class DaemonServices;

class ShellServer {
public:
    // At most maxSessions at once; beyond, the answer is 503.
    ShellServer(DaemonServices& services, std::string token, std::size_t maxSessions)
        : services_(services), token_(std::move(token)), maxSessions_(maxSessions) {}

    // Serves one upgraded connection; returns when the session is over (the caller closes socket).
    void serve(UpgradeRequest& request, int socket, const std::function<bool()>& stopping);

private:
    DaemonServices& services_;
    std::string token_;
    std::size_t maxSessions_;
    std::atomic<std::size_t> active_{0};
};

}  // namespace ppcs::api
