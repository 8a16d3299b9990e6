#include "model/endpoint.h"

#include "common/strings.h"

namespace ppcs::model {
namespace {

Error badEndpoint(std::string_view text) {
    return makeError(ErrorCode::usage, "engine endpoint '" + std::string(text) +
                                           "' is not supported: use unix:///path/to/docker.sock or tcp://HOST:PORT");
}

}  // namespace

std::string EngineEndpoint::text() const {
    return kind == Kind::unixSocket ? "unix://" + path : "tcp://" + host + ":" + std::to_string(port);
}

Result<EngineEndpoint> parseEngineEndpoint(std::string_view text) {
    EngineEndpoint endpoint;
    if (startsWith(text, "unix://")) {
        endpoint.path = std::string(text.substr(7));
        if (endpoint.path.empty() || endpoint.path.front() != '/') return badEndpoint(text);
        return endpoint;
    }
    if (!startsWith(text, "tcp://")) return badEndpoint(text);
    std::string_view rest = text.substr(6);
    auto colon = rest.rfind(':');
    if (colon == std::string_view::npos || colon == 0 || rest.find('/') != std::string_view::npos) return badEndpoint(text);
    std::string_view port = rest.substr(colon + 1);
    if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string_view::npos)
        return badEndpoint(text);
    int number = std::stoi(std::string(port));
    if (number < 1 || number > 65535) return badEndpoint(text);
    endpoint.kind = EngineEndpoint::Kind::tcp;
    endpoint.host = std::string(rest.substr(0, colon));
    endpoint.port = static_cast<std::uint16_t>(number);
    return endpoint;
}

Result<EngineEndpoint> endpointFromDockerHost(const char* dockerHost) {
    if (dockerHost == nullptr || *dockerHost == '\0') return parseEngineEndpoint("unix:///var/run/docker.sock");
    auto endpoint = parseEngineEndpoint(dockerHost);
    if (!endpoint) return endpoint.error().context("DOCKER_HOST");
    return endpoint;
}

}  // namespace ppcs::model
