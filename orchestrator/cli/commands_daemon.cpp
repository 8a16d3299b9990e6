// `ppcs-cluster version` and `ppcs-cluster daemon status|stop`.

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <thread>

#include "api/client.h"
#include "cli/cli.h"
#include "cli/daemon_launcher.h"
#include "cli/output.h"

namespace ppcs::cli {
namespace {

int runVersion(const GlobalOptions& global) {
    auto endpoint = ensureDaemon(global.stateDir);
    if (!endpoint) return reportError(endpoint.error());
    auto daemonVersion = api::ApiClient(*endpoint).version();
    if (!daemonVersion) return reportError(daemonVersion.error());
    if (global.json) {
        std::printf("{\"cli\":\"%s\",\"daemon\":\"%s\",\"protocol\":%d}\n", PPCS_VERSION, daemonVersion->version.c_str(),
                    daemonVersion->protocol);
    } else {
        std::printf("ppcs-cluster %s\nppcsd %s (protocol %d)\n", PPCS_VERSION, daemonVersion->version.c_str(),
                    daemonVersion->protocol);
    }
    return 0;
}

int runDaemonStatus(const GlobalOptions& global) {
    auto endpoint = findRunningDaemon(global.stateDir);
    if (!endpoint) {
        if (global.json)
            std::printf("{\"running\":false}\n");
        else
            std::printf("ppcsd is not running (state directory %s)\n", global.stateDir.c_str());
        return kExitNotRunning;
    }
    auto status = api::ApiClient(*endpoint).status();
    if (!status) return reportError(status.error());
    if (global.json) {
        std::printf("{\"running\":true,\"port\":%d,\"status\":%s}\n", endpoint->port, api::encodeDaemonStatus(*status).c_str());
        return 0;
    }
    std::printf("ppcsd %s running, pid %d, 127.0.0.1:%d, up %.0f s\nstate directory %s\nnode image context %s\n",
                status->version.c_str(), status->pid, endpoint->port, status->uptimeSeconds, status->stateDir.c_str(),
                status->imageContextDir.c_str());
    if (status->engine.reachable)
        std::printf("docker engine %s, API %s\n", status->engine.endpoint.c_str(), status->engine.apiVersion.c_str());
    else
        std::printf("docker engine unreachable: %s\n", status->engine.error.c_str());
    return 0;
}

int runDaemonStop(const GlobalOptions& global) {
    auto endpoint = findRunningDaemon(global.stateDir);
    if (!endpoint) {
        std::printf("ppcsd is not running\n");
        return 0;
    }
    if (auto stopped = api::ApiClient(*endpoint).stop(); !stopped) return reportError(stopped.error());
    if (waitUntilStopped(global.stateDir)) {
        std::printf("ppcsd stopped\n");
        return 0;
    }
    return reportError(
        makeError(ErrorCode::timeout, "ppcsd (pid " + std::to_string(endpoint->pid) + ") still answers 10 s after stop"));
}

}  // namespace

void addVersionCommand(CLI::App& app, const GlobalOptions& global, Action& action) {
    app.add_subcommand("version", "Show the versions of ppcs-cluster and ppcsd")->callback([&global, &action] {
        action = [&global] { return runVersion(global); };
    });
}

void addDaemonCommands(CLI::App& app, const GlobalOptions& global, Action& action) {
    auto* daemon = app.add_subcommand("daemon", "Inspect or stop ppcsd (it starts by itself when needed)");
    daemon->require_subcommand(1);
    daemon->add_subcommand("status", "Is ppcsd running, where, and can it reach Docker (exit 3 when not running)")
        ->callback([&global, &action] { action = [&global] { return runDaemonStatus(global); }; });
    daemon->add_subcommand("stop", "Stop ppcsd (nothing to do when it is not running)")->callback([&global, &action] {
        action = [&global] { return runDaemonStop(global); };
    });
}

}  // namespace ppcs::cli
