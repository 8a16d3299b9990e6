// `ppcs-cluster up | scale | down | status | ips`: the cluster lifecycle, carried out by ppcsd.

#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "api/client.h"
#include "cli/cli.h"
#include "cli/daemon_launcher.h"
#include "cli/output.h"
#include "common/strings.h"

namespace ppcs::cli {
namespace {

struct ClusterOptions {
    std::string name = model::kDefaultClusterName;
    int nodes = 0;
    int slots = 0;
    int perHost = 0;
    std::string registry;
    std::string mpi;  // as the user wrote it, when mpiGiven
    bool mpiGiven = false;
    std::string backend;  // as the user wrote it; empty: not given
    std::string cpus;     // as the user wrote them: parsed in runUp
    std::string memory;
    std::string shmSize;
    std::string mount;
    bool mountEveryHost = false;
    int timeoutSeconds = api::kDefaultReadyTimeoutSeconds;
    bool removeVolume = false;
    bool hostfileFormat = false;
};

// Waiting lines replace each other on a terminal; phase changes and results stay.
bool isLandmark(model::Phase phase, const std::string& text) {
    return phase != model::Phase::tasks && phase != model::Phase::ssh &&
           !(phase == model::Phase::image && startsWith(text, "Step "));
}

Status checkTimeout(int seconds) {
    if (seconds < 1 || seconds > api::kMaxReadyTimeoutSeconds)
        return makeError(ErrorCode::usage,
                         "--timeout must be from 1 to " + std::to_string(api::kMaxReadyTimeoutSeconds) + " seconds");
    return {};
}

// Runs a streamed cluster operation against ppcsd (started if needed) with a progress display.
template <class Value, class Call>
Result<Value> runStreamed(const GlobalOptions& global, Call call) {
    auto endpoint = ensureDaemon(global.stateDir);
    if (!endpoint) return endpoint.error();
    ProgressDisplay display;
    api::ApiClient client(*endpoint);
    auto result = call(
        client, [&display](model::Phase phase, const std::string& text) { display.show(phase, text, isLandmark(phase, text)); });
    display.finish();
    return result;
}

int readySlots(const model::ClusterStatus& status) {
    int slots = 0;
    for (const auto& member : status.members) slots += member.ready ? member.mpiSlots : 0;
    return slots;
}

int printReady(const GlobalOptions& global, const model::ClusterStatus& status, double seconds) {
    if (global.json) {
        std::printf("%s\n", api::encodeClusterStatus(status).c_str());
        return 0;
    }
    std::printf("cluster %s ready: head + %d nodes, %d slots, network %s (%.1f s)\n", status.name.c_str(), status.desiredNodes,
                readySlots(status), status.subnet.c_str(), seconds);
    return 0;
}

double secondsSince(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// --cpus, --memory, --shm-size and --mount into the spec: sizes parsed as Docker parses them, the
// host folder made absolute against this process's directory and resolved on disk.
Status readSizeAndMount(const ClusterOptions& options, model::ClusterSpec& spec) {
    auto parseSize = [](const std::string& text, const char* option, std::int64_t& out) -> Status {
        if (text.empty()) return {};
        auto bytes = model::parseByteSize(text, option);
        if (!bytes) return bytes.error();
        out = *bytes;
        return {};
    };
    if (!options.cpus.empty()) {
        auto cpus = model::parseCpus(options.cpus);
        if (!cpus) return cpus.error();
        spec.size.nanoCpus = *cpus;
    }
    if (auto read = parseSize(options.memory, "--memory", spec.size.memoryBytes); !read) return read;
    if (auto read = parseSize(options.shmSize, "--shm-size", spec.size.shmBytes); !read) return read;
    if (options.mount.empty()) {
        spec.mount.everyHost = options.mountEveryHost;
        return {};
    }
    char cwd[PATH_MAX];
    if (!::getcwd(cwd, sizeof cwd))
        return makeError(ErrorCode::failed, std::string("--mount: cannot read the current directory: ") + std::strerror(errno));
    auto mount = model::parseHostMount(options.mount, cwd);
    if (!mount) return mount.error();
    char resolved[PATH_MAX];
    if (!::realpath(mount->source.c_str(), resolved))
        return makeError(ErrorCode::usage,
                         "--mount: the host folder " + mount->source + " does not exist (" + std::strerror(errno) + ")");
    struct stat info {};
    if (::stat(resolved, &info) != 0 || !S_ISDIR(info.st_mode))
        return makeError(ErrorCode::usage, "--mount: " + std::string(resolved) + " is not a folder");
    // The default PATH follows the folder's name as written, not a symlink's target.
    mount->source = resolved;
    mount->everyHost = options.mountEveryHost;
    spec.mount = *mount;
    return {};
}

int runUp(const GlobalOptions& global, const ClusterOptions& options) {
    api::UpRequest request{{options.name, options.nodes, options.slots, options.perHost, options.registry},
                           options.timeoutSeconds};
    Status valid = readSizeAndMount(options, request.spec);
    if (valid && options.mpiGiven) {
        auto mpi = model::parseMpiOption(options.mpi);
        if (mpi)
            request.spec.mpi = *mpi;
        else
            valid = mpi.error();
    }
    if (valid && !options.backend.empty()) {
        auto backend = model::parseBackendOption(options.backend);
        if (backend)
            request.spec.backend = *backend;
        else
            valid = backend.error();
    }
    if (valid) valid = model::validateSpec(request.spec);
    if (valid) valid = checkTimeout(options.timeoutSeconds);
    if (!valid) return reportError(valid.error());
    auto start = std::chrono::steady_clock::now();
    auto status = runStreamed<model::ClusterStatus>(
        global, [&](api::ApiClient& client, const model::Progress& progress) { return client.up(request, progress); });
    if (!status) return reportError(status.error());
    return printReady(global, *status, secondsSince(start));
}

int runScale(const GlobalOptions& global, const ClusterOptions& options) {
    Status valid = model::validateClusterName(options.name);
    if (valid) valid = model::validateNodeCount(options.nodes);
    if (valid) valid = checkTimeout(options.timeoutSeconds);
    if (!valid) return reportError(valid.error());
    api::ScaleRequest request{options.name, options.nodes, options.timeoutSeconds};
    auto start = std::chrono::steady_clock::now();
    auto status = runStreamed<model::ClusterStatus>(
        global, [&](api::ApiClient& client, const model::Progress& progress) { return client.scale(request, progress); });
    if (!status) return reportError(status.error());
    return printReady(global, *status, secondsSince(start));
}

int runDown(const GlobalOptions& global, const ClusterOptions& options) {
    if (auto valid = model::validateClusterName(options.name); !valid) return reportError(valid.error());
    api::DownRequest request{options.name, options.removeVolume};
    auto report = runStreamed<model::DownReport>(
        global, [&](api::ApiClient& client, const model::Progress& progress) { return client.down(request, progress); });
    if (!report) return reportError(report.error());
    if (global.json)
        std::printf("%s\n", api::encodeDownReport(*report).c_str());
    else if (!report->existed)
        std::printf("cluster %s does not exist: nothing to remove\n", options.name.c_str());
    else
        std::printf("cluster %s removed (%s)\n", options.name.c_str(), join(report->removed, ", ").c_str());
    for (const auto& left : report->leftBehind) std::fprintf(stderr, "ppcs-cluster: left behind: %s\n", left.c_str());
    return 0;
}

Result<model::ClusterStatus> fetchStatus(const GlobalOptions& global, const std::string& name) {
    if (auto valid = model::validateClusterName(name); !valid) return valid.error();
    auto endpoint = ensureDaemon(global.stateDir);
    if (!endpoint) return endpoint.error();
    return api::ApiClient(*endpoint).clusterStatus(name);
}

Result<model::ClusterStatus> fetchAddresses(const GlobalOptions& global, const std::string& name) {
    if (auto valid = model::validateClusterName(name); !valid) return valid.error();
    auto endpoint = ensureDaemon(global.stateDir);
    if (!endpoint) return endpoint.error();
    return api::ApiClient(*endpoint).clusterAddresses(name);
}

// "size cpus 1, memory 64 MiB, /dev/shm 32 MiB per member" and "mount HOSTDIR -> PATH".
void printSizeAndMount(const model::ClusterStatus& status) {
    const auto& size = status.size;
    std::printf("size cpus %s, memory %s, /dev/shm %s per member\n",
                size.nanoCpus ? model::formatCpus(size.nanoCpus).c_str() : "unlimited",
                size.memoryBytes ? model::formatBytes(size.memoryBytes).c_str() : "unlimited",
                size.shmBytes ? model::formatBytes(size.shmBytes).c_str() : "Docker's default");
    if (!status.mount.source.empty())
        std::printf("mount %s -> %s (read-write%s)\n", status.mount.source.c_str(), status.mount.target.c_str(),
                    status.mount.everyHost ? ", on every host" : "");
}

int runStatus(const GlobalOptions& global, const ClusterOptions& options) {
    auto status = fetchStatus(global, options.name);
    if (!status) return reportError(status.error());
    if (global.json) {
        std::printf("%s\n", api::encodeClusterStatus(*status).c_str());
        return 0;
    }
    std::printf("cluster %s: head + %d nodes, %d slots ready\nmpi %s\nbackend %s\nimage %s\nnetwork %s\ncreated %s\n",
                status->name.c_str(), status->desiredNodes, readySlots(*status), model::mpiName(status->mpi),
                model::backendName(status->backend), status->image.c_str(), status->subnet.c_str(), status->createdAt.c_str());
    printSizeAndMount(*status);
    std::printf("\n");
    std::printf("%-5s %-5s %-22s %-16s %-16s %-10s %-6s %s\n", "ROLE", "SLOT", "HOSTNAME", "ADDRESS", "HOST", "STATE", "READY",
                "SLOTS");
    for (const auto& member : status->members) {
        std::string slot = member.role == model::MemberRole::head ? "-" : std::to_string(member.taskSlot);
        std::printf("%-5s %-5s %-22s %-16s %-16s %-10s %-6s %d%s\n", model::roleName(member.role), slot.c_str(),
                    member.hostname.c_str(), member.address.empty() ? "-" : member.address.c_str(),
                    member.dockerHost.empty() ? "-" : member.dockerHost.c_str(), member.state.c_str(),
                    member.ready ? "yes" : "no", member.mpiSlots,
                    member.message.empty() || member.state == "running" ? "" : ("  " + member.message).c_str());
    }
    if (status->hosts.size() > 1) {
        std::printf("\n%-20s %-8s %-13s %s\n", "DOCKER HOST", "STATE", "AVAILABILITY", "MEMBERS");
        for (const auto& host : status->hosts)
            std::printf("%-20s %-8s %-13s %d\n", host.name.c_str(), host.state.c_str(), host.availability.c_str(), host.members);
    }
    if (!status->events.empty()) {
        std::printf("\nevents\n");
        for (const auto& event : status->events) std::printf("  %s\n", event.c_str());
    }
    return 0;
}

int runIps(const GlobalOptions& global, const ClusterOptions& options) {
    // Plain addresses need no readiness check; the hostfile form needs the slots.
    auto status = options.hostfileFormat ? fetchStatus(global, options.name) : fetchAddresses(global, options.name);
    if (!status) return reportError(status.error());
    if (global.json) {
        std::printf("%s\n", api::encodeAddresses(*status).c_str());
        return 0;
    }
    for (const auto& member : status->members) {
        if (member.address.empty()) continue;
        if (options.hostfileFormat)
            std::printf("%s slots=%d\n", member.address.c_str(), member.mpiSlots);
        else
            std::printf("%s\n", member.address.c_str());
    }
    return 0;
}

void addNameOption(CLI::App* command, ClusterOptions& options) { addClusterNameOption(command, options.name); }

void addTimeoutOption(CLI::App* command, ClusterOptions& options) {
    command->add_option("--timeout", options.timeoutSeconds, "Seconds to wait for the cluster to be ready")
        ->capture_default_str();
}

}  // namespace

void addClusterCommands(CLI::App& app, const GlobalOptions& global, Action& action) {
    auto options = std::make_shared<ClusterOptions>();
    auto* up = app.add_subcommand("up", "Create (or resize) a cluster and return when it is verified ready");
    up->add_option("--nodes", options->nodes, "Number of nodes besides the head")->required();
    addNameOption(up, *options);
    up->add_option("--slots", options->slots, "MPI slots per container (default: its CPU allowance)");
    up->add_option("--per-host", options->perHost, "Most nodes on one Docker host (default: no cap)");
    auto* mpi = up->add_option("--mpi", options->mpi, "The cluster's MPI: openmpi (default) or mpich; fixed at creation");
    up->add_option("--backend", options->backend,
                   "swarm: services on an overlay network (default where the engine has Swarm); containers: plain "
                   "containers on a bridge network of this engine, no Swarm needed (default on Podman); fixed at creation");
    up->add_option("--registry", options->registry, "Push the image to this registry (HOST[:PORT]) and let every host pull it");
    up->add_option("--cpus", options->cpus, "CPU limit of every member, e.g. 1 or 1.5 (slots follow: whole CPUs, at least 1)");
    up->add_option("--memory", options->memory, "Memory limit of every member, e.g. 512m or 2g");
    up->add_option("--shm-size", options->shmSize,
                   "Size of /dev/shm in every member, e.g. 1g (default: half of --memory, else of the host's memory)");
    up->add_option("--mount", options->mount,
                   "HOSTDIR[:PATH]: bind a host folder read-write into every member (PATH default: /mnt/<folder name>)");
    up->add_flag("--mount-on-every-host", options->mountEveryHost,
                 "Allow --mount on a swarm of several hosts: every host has HOSTDIR");
    addTimeoutOption(up, *options);
    up->callback([&global, &action, options, mpi] {
        options->mpiGiven = mpi->count() > 0;
        action = [&global, options] { return runUp(global, *options); };
    });

    auto* scale = app.add_subcommand("scale", "Change the number of nodes of a running cluster");
    scale->add_option("--nodes", options->nodes, "New number of nodes")->required();
    addNameOption(scale, *options);
    addTimeoutOption(scale, *options);
    scale->callback([&global, &action, options] { action = [&global, options] { return runScale(global, *options); }; });

    auto* down = app.add_subcommand("down", "Remove a cluster and wait until it is gone");
    addNameOption(down, *options);
    down->add_flag("--volumes", options->removeVolume, "Also remove the shared volume");
    down->callback([&global, &action, options] { action = [&global, options] { return runDown(global, *options); }; });

    auto* status = app.add_subcommand("status", "Show a cluster's nodes, addresses, states and readiness");
    addNameOption(status, *options);
    status->callback([&global, &action, options] { action = [&global, options] { return runStatus(global, *options); }; });

    auto* ips = app.add_subcommand("ips", "Print the head's and nodes' addresses, head first");
    addNameOption(ips, *options);
    ips->add_flag("--hostfile", options->hostfileFormat, "Print as an Open MPI hostfile");
    ips->callback([&global, &action, options] { action = [&global, options] { return runIps(global, *options); }; });
}

}  // namespace ppcs::cli
