#pragma once
// Where a Docker engine listens, as users write it (DOCKER_HOST, `hosts add`), and how a tcp://
// one is secured: parsed and checked here, connected to by docker/ (pure: no sockets, no files).
//
// A tcp:// engine answers anyone who reaches its port with root on its host, so ppcs speaks to one
// only over TLS with the engine's certificate verified (against a CA, for the endpoint's host name
// or IP) and a client certificate of its own, as `docker --tlsverify` does; plain TCP is refused
// unless the user allowed it (--insecure for `hosts add`, PPCS_INSECURE_TCP for DOCKER_HOST).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace ppcs::model {

// The PEM files of a TLS connection to an engine, named as the docker CLI names them in its
// certificate directory (DOCKER_CERT_PATH, default ~/.docker).
struct TlsFiles {
    std::string directory;  // where they are
    std::string caFile;     // ca.pem: the CA the engine's certificate must chain to
    std::string certFile;   // cert.pem: the client certificate shown to the engine
    std::string keyFile;    // key.pem: its private key
};

// DIR/ca.pem, DIR/cert.pem, DIR/key.pem.
TlsFiles tlsFilesIn(const std::string& directory);

// "unix:///path/to/docker.sock" or "tcp://HOST:PORT", with how a tcp one is secured.
struct EngineEndpoint {
    enum class Kind { unixSocket, tcp } kind = Kind::unixSocket;
    std::string path;  // unixSocket
    std::string host;  // tcp: an IP address or a name
    std::uint16_t port = 0;
    std::optional<TlsFiles> tls;  // tcp: TLS with these files; none: plain TCP
    bool insecure = false;        // tcp without tls: the user allowed plain TCP
    std::string text() const;     // back to "unix://..." / "tcp://..." (without the TLS files)
    bool plainTcp() const { return kind == Kind::tcp && !tls; }
};

// Parses an endpoint as written by users and in DOCKER_HOST (plain, no TLS yet). Anything else
// (other schemes, no path, a port outside 1-65535) is a usage error naming the accepted forms.
Result<EngineEndpoint> parseEngineEndpoint(std::string_view text);
// The endpoint a DOCKER_HOST value names: null or empty gives unix:///var/run/docker.sock.
Result<EngineEndpoint> endpointFromDockerHost(const char* dockerHost);

// The variables that say where ppcs's own engine is and how to reach it; unset ones are empty.
struct DockerEnvironment {
    std::string dockerHost;   // DOCKER_HOST
    std::string tlsVerify;    // DOCKER_TLS_VERIFY: any value but empty turns TLS on, as for docker
    std::string tls;          // DOCKER_TLS: TLS without verifying the engine (not supported)
    std::string certPath;     // DOCKER_CERT_PATH, default $HOME/.docker
    std::string home;         // HOME
    std::string insecureTcp;  // PPCS_INSECURE_TCP: any value but empty or "0" allows plain TCP
};
inline constexpr const char* kInsecureTcpVariable = "PPCS_INSECURE_TCP";

// The engine the environment names, secured as the docker CLI would secure it: for tcp://,
// DOCKER_TLS_VERIFY gives TLS with the files in DOCKER_CERT_PATH; without it, plain TCP, refused
// (a usage error saying what to set) unless PPCS_INSECURE_TCP allows it. TLS settings do not
// apply to a unix socket. Never touches the files themselves (see docker/tls).
Result<EngineEndpoint> endpointFromEnvironment(const DockerEnvironment& environment);
// The process's own environment (getenv).
DockerEnvironment processDockerEnvironment();

// The endpoint `hosts add NAME ENDPOINT [--tls-dir DIR] [--insecure]` registers: TLS with DIR's
// files (DIR absolute), or plain TCP when insecure. Usage errors: plain tcp:// with neither, both
// at once, or either with a unix socket.
Result<EngineEndpoint> hostEndpoint(std::string_view text, const std::string& tlsDir, bool insecure);

// The line to show at every use of a plain TCP endpoint the user allowed; empty for any other.
std::string insecureWarning(const EngineEndpoint& endpoint);

}  // namespace ppcs::model
