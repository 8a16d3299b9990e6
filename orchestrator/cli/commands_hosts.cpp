// `ppcs-cluster hosts [--json] | hosts join-command | hosts add NAME ENDPOINT`: the swarm's Docker
// hosts, as ppcsd sees them from the manager it talks to.

#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>

#include "api/client.h"
#include "cli/cli.h"
#include "cli/daemon_launcher.h"
#include "cli/output.h"
#include "common/files.h"
#include "model/endpoint.h"

namespace ppcs::cli {
namespace {

struct HostOptions {
    std::string name;
    std::string endpoint;
    std::string tlsDir;
    bool insecure = false;
    std::string sshKey;
    std::string sshKnownHosts;
};

std::string gibibytes(std::int64_t bytes) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1f GiB", static_cast<double>(bytes) / (1024.0 * 1024.0 * 1024.0));
    return text;
}

void printHostTable(const std::vector<model::Host>& hosts) {
    std::printf("%-20s %-8s %-8s %-12s %-5s %-10s %-10s %s\n", "HOST", "ROLE", "STATE", "AVAILABILITY", "CPUS", "MEMORY", "IMAGE",
                "ENDPOINT");
    for (const auto& host : hosts) {
        std::string endpoint = host.local ? "(ppcsd's engine)" : host.endpoint.empty() ? "-" : host.endpoint;
        if (!host.local && !host.tlsDir.empty()) endpoint += " (TLS)";
        if (!host.local && host.insecure) endpoint += " (plain TCP, --insecure)";
        if (!host.local && !host.sshKey.empty()) endpoint += " (key " + host.sshKey + ")";
        std::printf("%-20s %-8s %-8s %-12s %-5d %-10s %-10s %s\n", host.name.c_str(), host.role.c_str(), host.state.c_str(),
                    host.availability.c_str(), host.cpus, gibibytes(host.memoryBytes).c_str(), host.image.c_str(),
                    endpoint.c_str());
    }
}

int runHosts(const GlobalOptions& global) {
    auto endpoint = ensureDaemon(global.stateDir);
    if (!endpoint) return reportError(endpoint.error());
    auto hosts = api::ApiClient(*endpoint).listHosts();
    if (!hosts) return reportError(hosts.error());
    if (global.json)
        std::printf("%s\n", api::encodeHosts(*hosts).c_str());
    else if (hosts->empty())
        std::printf("no swarm yet: `ppcs-cluster up` creates a single-host one\n");
    else
        printHostTable(*hosts);
    return 0;
}

int runJoinCommand(const GlobalOptions& global) {
    auto endpoint = ensureDaemon(global.stateDir);
    if (!endpoint) return reportError(endpoint.error());
    auto command = api::ApiClient(*endpoint).joinCommand();
    if (!command) return reportError(command.error());
    if (global.json)
        std::printf("%s\n", api::encodeJoinCommand(*command).c_str());
    else
        std::printf("%s\n", command->c_str());
    return 0;
}

int runAddHost(const GlobalOptions& global, const HostOptions& options) {
    api::AddHostRequest request{options.name, options.endpoint, "", options.insecure, "", ""};
    // ppcsd reads the files: it gets them as this command's user means them.
    for (auto [given, sent] : {std::pair{&options.tlsDir, &request.tlsDir},
                               {&options.sshKey, &request.sshKey},
                               {&options.sshKnownHosts, &request.sshKnownHosts}}) {
        if (given->empty()) continue;
        auto absolute = absoluteLocalPath(*given);
        if (!absolute) return reportError(absolute.error());
        *sent = *absolute;
    }
    // Checked here too, so that bad input never starts a daemon.
    if (auto valid = model::validateHostName(request.name); !valid) return reportError(valid.error());
    auto secured = api::requestedEndpoint(request);
    if (!secured) return reportError(secured.error());
    if (auto warning = model::insecureWarning(*secured); !warning.empty()) std::fprintf(stderr, "%s\n", warning.c_str());
    auto endpoint = ensureDaemon(global.stateDir);
    if (!endpoint) return reportError(endpoint.error());
    auto host = api::ApiClient(*endpoint).addHost(request);
    if (!host) return reportError(host.error());
    if (global.json)
        std::printf("%s\n", api::encodeHost(*host).c_str());
    else
        std::printf("host %s (%s, %s) registered at %s; image: %s\n", host->name.c_str(), host->role.c_str(), host->state.c_str(),
                    host->endpoint.c_str(), host->image.c_str());
    return 0;
}

}  // namespace

void addHostCommands(CLI::App& app, const GlobalOptions& global, Action& action) {
    auto options = std::make_shared<HostOptions>();
    auto* hosts = app.add_subcommand("hosts", "List the swarm's Docker hosts (name, role, state, CPUs, memory, image present)");
    hosts->callback([&global, &action, hosts] {
        if (hosts->get_subcommands().empty()) action = [&global] { return runHosts(global); };
    });
    hosts->add_subcommand("join-command", "Print what to run on a new host to join the swarm")->callback([&global, &action] {
        action = [&global] { return runJoinCommand(global); };
    });
    auto* add = hosts->add_subcommand(
        "add",
        "Register a host's engine (unix:///path, tcp://HOST:PORT over TLS, or ssh://[USER@]HOST[:PORT]) so ppcsd can reach it");
    add->footer(
        "ssh:// runs `ssh ... -- HOST docker system dial-stdio` as the docker CLI does: USER must be allowed to use docker "
        "there. ssh's own configuration applies (~/.ssh/config, the agent, default keys); it never prompts, and the host "
        "key must already be known (~/.ssh/known_hosts, or --ssh-known-hosts): an unknown or changed host key is refused.");
    add->add_option("NAME", options->name, "A name for the host")->required();
    add->add_option("ENDPOINT", options->endpoint,
                    "Its Docker engine: unix:///path/docker.sock, tcp://HOST:PORT or ssh://[USER@]HOST[:PORT]")
        ->required();
    add->add_option("--tls-dir", options->tlsDir,
                    "TLS for a tcp:// engine: DIR holds ca.pem (the engine's CA), cert.pem and key.pem (this client's)")
        ->type_name(kDirValue);
    add->add_flag("--insecure", options->insecure,
                  "Allow a tcp:// engine over plain TCP, without TLS (anyone who reaches its port controls it)");
    add->add_option("--ssh-key", options->sshKey,
                    "For an ssh:// engine: log in with this private key only (ssh -i FILE), kept with the host")
        ->type_name(kFileValue);
    add->add_option("--ssh-known-hosts", options->sshKnownHosts,
                    "For an ssh:// engine: trust the host keys in this file instead of ~/.ssh/known_hosts, kept with the host")
        ->type_name(kFileValue);
    add->callback([&global, &action, options] { action = [&global, options] { return runAddHost(global, *options); }; });
}

}  // namespace ppcs::cli
