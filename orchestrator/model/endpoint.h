#pragma once
// Where a Docker engine listens, as users write it (DOCKER_HOST, `hosts add`): parsed and
// checked here, connected to by docker/ (pure: no sockets).

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace ppcs::model {

// "unix:///path/to/docker.sock" or "tcp://HOST:PORT" (plain HTTP).
struct EngineEndpoint {
    enum class Kind { unixSocket, tcp } kind = Kind::unixSocket;
    std::string path;  // unixSocket
    std::string host;  // tcp: an IP address or a name
    std::uint16_t port = 0;
    std::string text() const;  // back to "unix://..." / "tcp://..."
};

// Parses an endpoint as written by users and in DOCKER_HOST. Anything else (other schemes, no
// path, a port outside 1-65535) is a usage error naming the accepted forms.
Result<EngineEndpoint> parseEngineEndpoint(std::string_view text);
// The endpoint a DOCKER_HOST value names: null or empty gives unix:///var/run/docker.sock.
Result<EngineEndpoint> endpointFromDockerHost(const char* dockerHost);

}  // namespace ppcs::model
