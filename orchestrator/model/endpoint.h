#pragma once
// Where a Docker engine listens, as users write it (DOCKER_HOST, `hosts add`), and how a tcp://
// one is secured: parsed and checked here, connected to by docker/ (pure: no sockets, no files).
//
// A tcp:// engine answers anyone who reaches its port with root on its host, so ppcs speaks to one
// only over TLS with the engine's certificate verified (against a CA, for the endpoint's host name
// or IP) and a client certificate of its own, as `docker --tlsverify` does; plain TCP is refused
// unless the user allowed it (--insecure for `hosts add`, PPCS_INSECURE_TCP for DOCKER_HOST).
//
// An ssh:// engine is reached as the docker CLI reaches one: `ssh ... HOST -- docker system
// dial-stdio` runs on that host and the engine's HTTP goes over ssh's standard input and output
// (docker/ssh_process.h). ssh's own configuration applies (~/.ssh/config, the agent, the default
// keys, known_hosts); a key and a known_hosts file may be named on top. Host keys are always
// checked: an unknown or changed host key is refused, never accepted silently.

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

// What ppcs adds to ssh's own configuration for an ssh:// engine (absolute paths; empty: ssh's own
// choice). Named with `hosts add --ssh-key/--ssh-known-hosts`, or PPCS_DOCKER_SSH_KEY/PPCS_DOCKER_SSH_KNOWN_HOSTS
// for DOCKER_HOST.
struct SshOptions {
    std::string identityFile;    // ssh -i FILE, and only that key (IdentitiesOnly=yes)
    std::string knownHostsFile;  // the host keys to trust (UserKnownHostsFile), instead of ~/.ssh/known_hosts
    bool empty() const { return identityFile.empty() && knownHostsFile.empty(); }
};

// "unix:///path/to/docker.sock", "tcp://HOST:PORT" or "ssh://[USER@]HOST[:PORT]", with how a tcp
// one is secured and what an ssh one adds to ssh's configuration.
struct EngineEndpoint {
    enum class Kind { unixSocket, tcp, ssh } kind = Kind::unixSocket;
    std::string path;             // unixSocket
    std::string host;             // tcp, ssh: an IP address or a name (ssh: IPv6 without brackets)
    std::uint16_t port = 0;       // tcp: 1-65535; ssh: 0 when not given (ssh's configuration, else 22)
    std::optional<TlsFiles> tls;  // tcp: TLS with these files; none: plain TCP
    bool insecure = false;        // tcp without tls: the user allowed plain TCP
    std::string user;             // ssh: the login name; empty: ssh's configuration, else the local user
    SshOptions ssh;               // ssh
    // Back to "unix://...", "tcp://..." or "ssh://..." (without the TLS files or ssh options).
    std::string text() const;
    bool plainTcp() const { return kind == Kind::tcp && !tls; }
};

// Parses an endpoint as written by users and in DOCKER_HOST (plain, no TLS or ssh options yet).
// Anything else (other schemes, no path, a port outside 1-65535; for ssh:// a path, query, empty
// host or user, or a host or user that starts with '-') is a usage error naming the accepted forms.
Result<EngineEndpoint> parseEngineEndpoint(std::string_view text);
// The endpoint a DOCKER_HOST value names: null or empty gives unix:///var/run/docker.sock.
Result<EngineEndpoint> endpointFromDockerHost(const char* dockerHost);

// The variables that say where ppcs's own engine is and how to reach it; unset ones are empty.
struct DockerEnvironment {
    std::string dockerHost;     // DOCKER_HOST
    std::string tlsVerify;      // DOCKER_TLS_VERIFY: any value but empty turns TLS on, as for docker
    std::string tls;            // DOCKER_TLS: TLS without verifying the engine (not supported)
    std::string certPath;       // DOCKER_CERT_PATH, default $HOME/.docker
    std::string home;           // HOME
    std::string insecureTcp;    // PPCS_INSECURE_TCP: any value but empty or "0" allows plain TCP
    std::string sshKey;         // PPCS_DOCKER_SSH_KEY: ssh:// only, the key to log in with (absolute path)
    std::string sshKnownHosts;  // PPCS_DOCKER_SSH_KNOWN_HOSTS: ssh:// only, the host keys to trust (absolute)
};
inline constexpr const char* kInsecureTcpVariable = "PPCS_INSECURE_TCP";
inline constexpr const char* kSshKeyVariable = "PPCS_DOCKER_SSH_KEY";
inline constexpr const char* kSshKnownHostsVariable = "PPCS_DOCKER_SSH_KNOWN_HOSTS";

// The engine the environment names, secured as the docker CLI would secure it: for tcp://,
// DOCKER_TLS_VERIFY gives TLS with the files in DOCKER_CERT_PATH; without it, plain TCP, refused
// (a usage error saying what to set) unless PPCS_INSECURE_TCP allows it. TLS settings do not
// apply to a unix socket. For ssh://, ssh's own configuration and agent, with PPCS_DOCKER_SSH_KEY and
// PPCS_DOCKER_SSH_KNOWN_HOSTS on top (usage errors: a relative path, or either set for another kind).
// Never touches the files themselves (see docker/tls, docker/ssh_process).
Result<EngineEndpoint> endpointFromEnvironment(const DockerEnvironment& environment);
// The process's own environment (getenv).
DockerEnvironment processDockerEnvironment();

// The endpoint `hosts add NAME ENDPOINT [--tls-dir DIR] [--insecure] [--ssh-key FILE]
// [--ssh-known-hosts FILE]` registers: TLS with DIR's files (DIR absolute), or plain TCP when
// insecure; for ssh://, ssh's configuration with ssh's files (absolute) on top. Usage errors: plain
// tcp:// with neither, both at once, either with another kind, ssh options with another kind, a
// relative path.
Result<EngineEndpoint> hostEndpoint(std::string_view text, const std::string& tlsDir, bool insecure, const SshOptions& ssh = {});

// The line to show at every use of a plain TCP endpoint the user allowed; empty for any other.
std::string insecureWarning(const EngineEndpoint& endpoint);

}  // namespace ppcs::model
