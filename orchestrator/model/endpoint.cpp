#include "model/endpoint.h"

#include <cstdlib>

#include "common/strings.h"

namespace ppcs::model {
namespace {

Error badEndpoint(std::string_view text) {
    return makeError(ErrorCode::usage, "engine endpoint '" + std::string(text) +
                                           "' is not supported: use unix:///path/to/docker.sock or tcp://HOST:PORT");
}

std::string variable(const char* name) {
    const char* value = std::getenv(name);
    return value == nullptr ? std::string() : std::string(value);
}

bool allows(const std::string& value) { return !value.empty() && value != "0"; }

}  // namespace

TlsFiles tlsFilesIn(const std::string& directory) {
    std::string base = directory;
    while (base.size() > 1 && base.back() == '/') base.pop_back();
    return TlsFiles{base, base + "/ca.pem", base + "/cert.pem", base + "/key.pem"};
}

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

Result<EngineEndpoint> endpointFromEnvironment(const DockerEnvironment& environment) {
    auto endpoint = endpointFromDockerHost(environment.dockerHost.c_str());
    if (!endpoint || endpoint->kind != EngineEndpoint::Kind::tcp) return endpoint;
    std::string where = "DOCKER_HOST " + endpoint->text();
    if (!environment.tlsVerify.empty()) {
        // As docker: DOCKER_CERT_PATH, else ~/.docker.
        std::string directory = environment.certPath;
        if (directory.empty()) {
            if (environment.home.empty())
                return makeError(ErrorCode::usage, where +
                                                       ": DOCKER_TLS_VERIFY is set but neither DOCKER_CERT_PATH nor "
                                                       "HOME names the certificate directory");
            directory = environment.home + "/.docker";
        }
        endpoint->tls = tlsFilesIn(directory);
        return endpoint;
    }
    if (!environment.tls.empty())
        return makeError(ErrorCode::usage, where +
                                               ": DOCKER_TLS without DOCKER_TLS_VERIFY would not verify the engine, "
                                               "which ppcs does not do: set DOCKER_TLS_VERIFY=1");
    if (!allows(environment.insecureTcp))
        return makeError(ErrorCode::usage, where +
                                               " is plain TCP without TLS, which gives anyone who reaches the port "
                                               "root on that host: set DOCKER_TLS_VERIFY=1 (certificates in "
                                               "DOCKER_CERT_PATH, default ~/.docker), or allow it with " +
                                               std::string(kInsecureTcpVariable) + "=1");
    endpoint->insecure = true;
    return endpoint;
}

DockerEnvironment processDockerEnvironment() {
    return DockerEnvironment{variable("DOCKER_HOST"), variable("DOCKER_TLS_VERIFY"),
                             variable("DOCKER_TLS"),  variable("DOCKER_CERT_PATH"),
                             variable("HOME"),        variable(kInsecureTcpVariable)};
}

Result<EngineEndpoint> hostEndpoint(std::string_view text, const std::string& tlsDir, bool insecure) {
    auto endpoint = parseEngineEndpoint(text);
    if (!endpoint) return endpoint;
    if (endpoint->kind != EngineEndpoint::Kind::tcp) {
        if (!tlsDir.empty() || insecure)
            return makeError(ErrorCode::usage,
                             "--tls-dir and --insecure apply to tcp:// endpoints only, not " + endpoint->text());
        return endpoint;
    }
    if (!tlsDir.empty() && insecure)
        return makeError(ErrorCode::usage, "give either --tls-dir DIR (TLS) or --insecure (plain TCP), not both");
    if (!tlsDir.empty()) {
        if (tlsDir.front() != '/')
            return makeError(ErrorCode::usage, "the TLS directory '" + tlsDir + "' must be an absolute path");
        endpoint->tls = tlsFilesIn(tlsDir);
        return endpoint;
    }
    if (!insecure)
        return makeError(ErrorCode::usage, "engine endpoint " + endpoint->text() +
                                               " is plain TCP without TLS, which gives anyone who reaches the port root "
                                               "on that host: give --tls-dir DIR (ca.pem, cert.pem, key.pem), or "
                                               "allow it with --insecure");
    endpoint->insecure = true;
    return endpoint;
}

std::string insecureWarning(const EngineEndpoint& endpoint) {
    if (!endpoint.plainTcp()) return "";
    return "warning: the docker engine at " + endpoint.text() +
           " is reached over plain TCP without TLS: anyone who reaches that port controls it (allowed by --insecure or " +
           kInsecureTcpVariable + ")";
}

}  // namespace ppcs::model
