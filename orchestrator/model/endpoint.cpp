#include "model/endpoint.h"

#include <cctype>
#include <cstdlib>

#include "common/strings.h"

namespace ppcs::model {
namespace {

Error badEndpoint(std::string_view text) {
    return makeError(ErrorCode::usage, "engine endpoint '" + std::string(text) +
                                           "' is not supported: use unix:///path/to/docker.sock, tcp://HOST:PORT or "
                                           "ssh://[USER@]HOST[:PORT]");
}

Error badSsh(std::string_view text, const std::string& why) {
    return makeError(ErrorCode::usage, "engine endpoint '" + std::string(text) + "': " + why + ": use ssh://[USER@]HOST[:PORT]");
}

// 1-65535 in decimal digits; 0 for anything else.
int portNumber(std::string_view digits) {
    if (digits.empty() || digits.size() > 5 || digits.find_first_not_of("0123456789") != std::string_view::npos) return 0;
    int number = std::stoi(std::string(digits));
    return number <= 65535 ? number : 0;
}

// A user or host name ssh takes as such: never an option ('-' first), never spaces or quotes.
bool sshName(std::string_view name, std::string_view more) {
    if (name.empty() || name.front() == '-') return false;
    for (char c : name)
        if (!std::isalnum(static_cast<unsigned char>(c)) && std::string_view("._-").find(c) == std::string_view::npos &&
            more.find(c) == std::string_view::npos)
            return false;
    return true;
}

// ssh://[USER@]HOST[:PORT], HOST a name, an IPv4 address or an IPv6 one in brackets.
Result<EngineEndpoint> parseSsh(std::string_view text) {
    std::string_view rest = text.substr(6);
    if (auto slash = rest.find_first_of("/?#"); slash != std::string_view::npos)
        return badSsh(text, "'" + std::string(rest.substr(slash)) + "' after the host is not taken (no path)");
    EngineEndpoint endpoint;
    endpoint.kind = EngineEndpoint::Kind::ssh;
    if (auto at = rest.find('@'); at != std::string_view::npos) {
        endpoint.user = std::string(rest.substr(0, at));
        if (!sshName(endpoint.user, "")) return badSsh(text, "'" + endpoint.user + "' is not a user name");
        rest = rest.substr(at + 1);
    }
    std::string_view port;
    if (!rest.empty() && rest.front() == '[') {
        auto close = rest.find(']');
        if (close == std::string_view::npos) return badSsh(text, "no ']' after the IPv6 address");
        endpoint.host = std::string(rest.substr(1, close - 1));
        std::string_view after = rest.substr(close + 1);
        if (!after.empty() && after.front() != ':') return badSsh(text, "'" + std::string(after) + "' after the host");
        if (!after.empty()) port = after.substr(1);
        if (!after.empty() && port.empty()) return badSsh(text, "no port after ':'");
        if (endpoint.host.empty() || !sshName(endpoint.host, ":")) return badSsh(text, "no IPv6 address in brackets");
    } else {
        auto colon = rest.find(':');
        endpoint.host = std::string(rest.substr(0, colon));
        if (colon != std::string_view::npos) {
            port = rest.substr(colon + 1);
            if (port.empty()) return badSsh(text, "no port after ':'");
        }
        if (endpoint.host.empty()) return badSsh(text, "no host");
        if (!sshName(endpoint.host, "")) return badSsh(text, "'" + endpoint.host + "' is not a host name or address");
    }
    if (!port.empty()) {
        int number = portNumber(port);
        if (number == 0) return badSsh(text, "port '" + std::string(port) + "' is not from 1 to 65535");
        endpoint.port = static_cast<std::uint16_t>(number);
    }
    return endpoint;
}

// An ssh file named by an option or variable: absolute, as ppcsd reads it from elsewhere.
Status absoluteSshFile(const std::string& file, const std::string& what) {
    if (file.empty() || file.front() == '/') return {};
    return makeError(ErrorCode::usage, what + " '" + file + "' must be an absolute path");
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
    if (kind == Kind::unixSocket) return "unix://" + path;
    if (kind == Kind::tcp) return "tcp://" + host + ":" + std::to_string(port);
    std::string name = host.find(':') == std::string::npos ? host : "[" + host + "]";
    return "ssh://" + (user.empty() ? "" : user + "@") + name + (port == 0 ? "" : ":" + std::to_string(port));
}

Result<EngineEndpoint> parseEngineEndpoint(std::string_view text) {
    EngineEndpoint endpoint;
    if (startsWith(text, "unix://")) {
        endpoint.path = std::string(text.substr(7));
        if (endpoint.path.empty() || endpoint.path.front() != '/') return badEndpoint(text);
        return endpoint;
    }
    if (startsWith(text, "ssh://")) return parseSsh(text);
    if (!startsWith(text, "tcp://")) return badEndpoint(text);
    std::string_view rest = text.substr(6);
    auto colon = rest.rfind(':');
    if (colon == std::string_view::npos || colon == 0 || rest.find('/') != std::string_view::npos) return badEndpoint(text);
    int number = portNumber(rest.substr(colon + 1));
    if (number == 0) return badEndpoint(text);
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
    if (!endpoint) return endpoint;
    bool sshSet = !environment.sshKey.empty() || !environment.sshKnownHosts.empty();
    if (endpoint->kind == EngineEndpoint::Kind::ssh) {
        for (auto [file, variable] :
             {std::pair{&environment.sshKey, kSshKeyVariable}, {&environment.sshKnownHosts, kSshKnownHostsVariable}})
            if (auto absolute = absoluteSshFile(*file, variable); !absolute) return absolute.error();
        endpoint->ssh = SshOptions{environment.sshKey, environment.sshKnownHosts};
        return endpoint;
    }
    if (sshSet)
        return makeError(ErrorCode::usage, std::string(kSshKeyVariable) + " and " + kSshKnownHostsVariable +
                                               " apply to an ssh:// DOCKER_HOST only, not " + endpoint->text());
    if (endpoint->kind != EngineEndpoint::Kind::tcp) return endpoint;
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
    return DockerEnvironment{
        variable("DOCKER_HOST"), variable("DOCKER_TLS_VERIFY"),  variable("DOCKER_TLS"),    variable("DOCKER_CERT_PATH"),
        variable("HOME"),        variable(kInsecureTcpVariable), variable(kSshKeyVariable), variable(kSshKnownHostsVariable)};
}

Result<EngineEndpoint> hostEndpoint(std::string_view text, const std::string& tlsDir, bool insecure, const SshOptions& ssh) {
    auto endpoint = parseEngineEndpoint(text);
    if (!endpoint) return endpoint;
    if (endpoint->kind == EngineEndpoint::Kind::ssh) {
        if (!tlsDir.empty() || insecure)
            return makeError(ErrorCode::usage, "--tls-dir and --insecure apply to tcp:// endpoints only, not " +
                                                   endpoint->text() + " (ssh encrypts and checks the host key itself)");
        if (auto key = absoluteSshFile(ssh.identityFile, "the ssh key"); !key) return key.error();
        if (auto known = absoluteSshFile(ssh.knownHostsFile, "the known_hosts file"); !known) return known.error();
        endpoint->ssh = ssh;
        return endpoint;
    }
    if (!ssh.empty())
        return makeError(ErrorCode::usage,
                         "--ssh-key and --ssh-known-hosts apply to ssh:// endpoints only, not " + endpoint->text());
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
