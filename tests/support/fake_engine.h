#pragma once
// An in-memory docker::Engine for unit tests of what cluster/ and jobs/ do with the engine: a
// one-host swarm whose services start their tasks at once (each task a running container with an
// address on the service's network), networks, volumes, secrets, images, a shared folder (the
// files put into any container, by absolute path), processes by name per container, and execs
// answered like the node image answers them (host keys, ssh checks, file installs, pgrep/pkill).
// Every call is logged; a chosen call can be made to fail; tasks can be held back, killed (Swarm
// then starts a replacement and a "die" event is sent) and execs scripted.
// Thread-safe: the node watcher's threads and the test's use it at once. Exec handlers run
// outside the lock, so one may block (an mpirun waiting to be killed).

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "docker/engine.h"

namespace ppcs::testing {

// One call the engine received: its name (the Engine method), what it was about (a service,
// network, volume or secret name, an object ID, a container), and an exec's argv.
struct EngineCall {
    std::string name;
    std::string target;
    std::vector<std::string> argv;
};

// An exec as a handler sees it.
struct ExecCall {
    std::string containerId;
    docker::ExecSpec spec;
};

class FakeEngine final : public docker::Engine {
public:
    static constexpr const char* kLocalNode = "node-local";

    FakeEngine();

    // ---- Scripting ----
    // The next call named `call` (an Engine method name) whose target contains `target` fails
    // with error, once. A list call's target is its label filter, "key=value,key=value".
    void failNext(const std::string& call, Error error, const std::string& target = "");
    // The next listNetworks answers with no network, once (an engine that has just started lists
    // its swarm networks a moment after its services).
    void listNoNetworkNext();
    // Tasks of the service named service (e.g. "demo_mpinode") at slot stay in state (not
    // running) with message, until released.
    void holdTask(const std::string& service, int slot, const std::string& state, const std::string& message);
    void releaseTask(const std::string& service, int slot);
    // Answers execs for which handler returns a value, before the built-in answers (the last
    // handler added is asked first).
    using ExecHandler = std::function<std::optional<docker::ExecOutcome>(const ExecCall&)>;
    void onExec(ExecHandler handler);
    void addImage(docker::ImageInfo image);
    // A process named name now runs in the container (pgrep finds it, pkill ends it), as part of
    // job `job` (PPCS_JOB_ID in its environment), or of none when 0.
    void startProcess(const std::string& containerId, const std::string& name, std::int64_t job = 0);
    // Blocks until no process named name runs in the container, or the time is up: true if none.
    bool waitForProcessGone(const std::string& containerId, const std::string& name, std::chrono::milliseconds limit);

    // ---- Simulation ----
    // The running container of service's task at slot dies: its task fails, Swarm starts a
    // replacement (new container, new address) and a "die" event goes to followEvents. Returns
    // the dead container's ID.
    std::string killTask(const std::string& service, int slot);

    // ---- Inspection ----
    std::vector<EngineCall> calls() const;
    // The names of the calls, in order, that match name (all when empty).
    std::vector<EngineCall> callsNamed(const std::string& name) const;
    void clearCalls();
    // A file of the shared folder (or any path put into a container), if there is one.
    std::optional<std::string> file(const std::string& path) const;
    std::vector<std::string> serviceNames() const;
    std::vector<std::string> networkNames() const;
    std::vector<std::string> volumeNames() const;
    std::vector<std::string> secretNames() const;
    // The running containers of service, by slot.
    std::map<int, std::string> runningContainers(const std::string& service) const;

    // ---- docker::Engine ----
    std::string endpoint() const override { return "fake://engine"; }

    Result<std::optional<docker::ImageInfo>> inspectImage(const std::string& nameOrId) override;
    Status pullImage(const std::string& image, const std::string& tag, const docker::ProgressSink& progress,
                     std::chrono::seconds idleTimeout) override;
    Result<std::string> importImage(std::string rootfsTar, const std::string& repo, const std::string& tag,
                                    const std::vector<std::string>& changes, const docker::ProgressSink& progress) override;
    Result<std::string> buildImage(const docker::BuildParams& params, const docker::ProgressSink& progress) override;
    Status tagImage(const std::string& imageId, const std::string& repo, const std::string& tag) override;
    Result<std::string> pushImage(const std::string& repo, const std::string& tag, const docker::ProgressSink& progress) override;
    Status removeImage(const std::string& nameOrId, bool force) override;
    Status saveImage(const std::string& nameOrId, const docker::BodySink& sink) override;
    Status loadImage(const docker::BodySource& source) override;

    Result<std::string> createContainer(const docker::ContainerSpec& spec) override;
    Status startContainer(const std::string& id) override;
    Status removeContainer(const std::string& id, bool force) override;
    Status killContainer(const std::string& id) override;
    Result<docker::ContainerStats> containerStats(const std::string& id) override;
    Status followEvents(const std::map<std::string, std::vector<std::string>>& filters, std::int64_t sinceSeconds,
                        std::chrono::seconds idle, const std::function<bool(const docker::EngineEvent&)>& onEvent) override;
    Result<std::vector<docker::EngineEvent>> pastEvents(const std::map<std::string, std::vector<std::string>>& filters,
                                                        std::int64_t sinceSeconds, double untilSeconds) override;
    Result<std::vector<docker::ContainerSummary>> listContainers(const docker::Labels& labelFilter, bool all) override;
    Status putArchive(const std::string& containerId, const std::string& dir, std::string tar) override;
    Status putArchiveStream(const std::string& containerId, const std::string& dir, const docker::BodySource& source) override;
    Status getArchive(const std::string& containerId, const std::string& path, const docker::BodySink& sink) override;

    Result<std::string> createExec(const std::string& containerId, const docker::ExecSpec& spec) override;
    Status startExec(const std::string& execId, const docker::OutputSink& sink, std::chrono::seconds idleTimeout) override;
    Result<docker::ExecState> inspectExec(const std::string& execId) override;
    Result<std::unique_ptr<docker::ByteStream>> startExecAttached(
        const std::string& execId, bool tty, std::chrono::seconds idleTimeout = std::chrono::seconds(30)) override;
    Status resizeExec(const std::string& execId, int cols, int rows) override;

    Result<docker::EngineInfo> info() override;
    Status initSwarm(const std::string& listenAddr, const std::string& advertiseAddr) override;
    Result<std::vector<docker::SwarmNode>> listNodes() override;
    Result<docker::SwarmJoinInfo> swarmJoinInfo() override;
    Status setNodeLabels(const std::string& nodeId, const docker::Labels& labels) override;

    Result<std::string> createNetwork(const docker::NetworkSpec& spec) override;
    Result<std::vector<docker::NetworkInfo>> listNetworks(const docker::Labels& labelFilter) override;
    Status removeNetwork(const std::string& id) override;

    Status createVolume(const std::string& name, const docker::Labels& labels) override;
    Result<std::vector<docker::VolumeInfo>> listVolumes(const docker::Labels& labelFilter) override;
    Status removeVolume(const std::string& name) override;

    Result<std::string> createSecret(const std::string& name, const std::string& data, const docker::Labels& labels) override;
    Result<std::vector<docker::SecretInfo>> listSecrets(const docker::Labels& labelFilter) override;
    Status removeSecret(const std::string& id) override;

    Result<std::string> createService(const docker::ServiceSpec& spec) override;
    Result<std::vector<docker::ServiceInfo>> listServices(const docker::Labels& labelFilter) override;
    Result<docker::ServiceInfo> inspectService(const std::string& id) override;
    Status scaleService(const std::string& id, std::uint64_t replicas) override;
    Status updateServiceLabels(const std::string& id,
                               const std::function<Result<docker::Labels>(const docker::ServiceInfo&)>& decide) override;
    Status removeService(const std::string& id) override;
    Result<std::vector<docker::TaskInfo>> listTasks(const std::map<std::string, std::vector<std::string>>& filters) override;

private:
    struct Service {
        docker::ServiceInfo info;
        docker::ServiceSpec spec;
    };
    struct Container {
        docker::ContainerSummary summary;
        std::multimap<std::string, std::int64_t> processes;  // by name: the job it belongs to, or 0
    };
    struct Exec {
        ExecCall call;
        std::optional<int> exitCode;
    };
    struct Failure {
        std::string call;
        std::string target;
        Error error;
    };

    // Logs the call and returns the injected failure for it, if any. Needs mutex_.
    std::optional<Error> record(const std::string& name, const std::string& target, std::vector<std::string> argv = {});
    std::string newId(const std::string& prefix);
    // Starts the tasks service lacks and removes those beyond its replicas. Needs mutex_.
    void reconcile(Service& service);
    void startTask(Service& service, int slot);
    void stopTask(docker::TaskInfo& task, const std::string& state);
    std::string nextAddress(const std::string& networkId);
    docker::ExecOutcome answerExec(const ExecCall& call);
    std::optional<docker::ExecOutcome> builtInAnswer(const ExecCall& call);

    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<EngineCall> calls_;
    std::vector<Failure> failures_;
    bool noNetworkNext_ = false;
    std::map<std::pair<std::string, int>, std::pair<std::string, std::string>> held_;  // (service, slot) -> state, message
    std::vector<ExecHandler> handlers_;
    std::map<std::string, docker::ImageInfo> images_;  // by ID
    std::vector<docker::SwarmNode> nodes_;
    std::map<std::string, Service> services_;  // by ID
    std::vector<docker::TaskInfo> tasks_;
    std::map<std::string, Container> containers_;  // by ID
    std::map<std::string, docker::NetworkInfo> networks_;
    std::map<std::string, int> addressesGiven_;  // network ID -> addresses handed out
    std::map<std::string, docker::VolumeInfo> volumes_;
    std::map<std::string, docker::SecretInfo> secrets_;
    std::map<std::string, std::string> files_;  // absolute path -> content
    std::map<std::string, Exec> execs_;
    std::deque<docker::EngineEvent> events_;
    std::uint64_t counter_ = 0;
};

}  // namespace ppcs::testing
