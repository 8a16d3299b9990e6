#pragma once
// The CLI's side of the shell connection (see shell_protocol.h): opens it, and once ppcsd granted
// the upgrade, hands over the socket for the caller's own loop.

#include <memory>
#include <string>

#include "api/client.h"
#include "api/shell_protocol.h"
#include "common/result.h"

namespace ppcs::api {

// An upgraded connection to ppcsd; the socket is closed (the session abandoned, when still
// running) when this is destroyed.
class ShellConnection {
public:
    ShellConnection(int socket, std::string early) : socket_(socket), early_(std::move(early)) {}
    ~ShellConnection();
    ShellConnection(const ShellConnection&) = delete;
    ShellConnection& operator=(const ShellConnection&) = delete;

    int socket() const { return socket_; }
    // Bytes ppcsd sent right after its 101 reply (the start of the first frames), once.
    std::string takeEarly() { return std::move(early_); }
    // Sends one encoded frame whole.
    Status send(std::string_view frame);

private:
    int socket_;
    std::string early_;
};

// Asks ppcsd for a shell on request's cluster. The daemon's refusal comes back as its error (a
// missing cluster or node, a full session table...); ErrorCode::unavailable when ppcsd cannot be
// reached. Opening waits at most openLimit for ppcsd's answer (it creates the exec meanwhile).
Result<std::unique_ptr<ShellConnection>> openShellConnection(const Endpoint& endpoint, const model::ShellRequest& request,
                                                             std::chrono::seconds openLimit = std::chrono::seconds(60));

}  // namespace ppcs::api
