#pragma once
// The Docker Engine API (v1.41): the calls the rest of ppcs makes (Engine) and the typed client that
// makes them over a Transport (EngineClient). It knows nothing of MPI or clusters. Every error names the endpoint, the HTTP
// status and the engine's message:
//   "POST /v1.41/build: engine 500: ..."
// Streaming calls (build, pull, import, exec) hand progress to callbacks as it arrives.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "docker/exec_demux.h"
#include "docker/transport.h"
#include "docker/types.h"

namespace ppcs::docker {

inline constexpr std::string_view kApiVersion = "1.41";

// Receives one progress line (build step output, pull or import status) at a time.
using ProgressSink = std::function<void(const std::string& line)>;

struct BuildParams {
    std::string contextTar;  // the build context as a tar archive
    Labels labels;           // ?labels= set on the resulting image
    Labels buildArgs;        // ?buildargs= (the Dockerfile's ARGs); none when empty
    bool noCache = false;    // ?nocache=
    std::chrono::seconds idleTimeout{1800};
};

struct ExecOutcome {
    int exitCode = -1;
    std::string out;
    std::string err;
};

// The engine calls the modules above docker/ make (image/, cluster/, jobs/), as an interface:
// EngineClient is the real one, tests use an in-memory fake (tests/support/fake_engine.h). Each
// call's contract is the one written here; EngineClient's errors name the endpoint, the HTTP
// status and the engine's message.
class Engine {
public:
    virtual ~Engine() = default;

    // Where the engine is ("unix:///var/run/docker.sock", "tcp://host:2375"), for messages.
    virtual std::string endpoint() const = 0;

    // Images. inspectImage gives nullopt (not an error) when no such image exists.
    virtual Result<std::optional<ImageInfo>> inspectImage(const std::string& nameOrId) = 0;
    virtual Status pullImage(const std::string& image, const std::string& tag, const ProgressSink& progress,
                             std::chrono::seconds idleTimeout) = 0;
    // POST /images/create?fromSrc=- with a rootfs tarball; returns the new image's ID.
    virtual Result<std::string> importImage(std::string rootfsTar, const std::string& repo, const std::string& tag,
                                            const std::vector<std::string>& changes, const ProgressSink& progress) = 0;
    // POST /build without a tag; returns the built image's ID. A failing step (an error line in a
    // 200 reply) is an error carrying the step's message.
    virtual Result<std::string> buildImage(const BuildParams& params, const ProgressSink& progress) = 0;
    virtual Status tagImage(const std::string& imageId, const std::string& repo, const std::string& tag) = 0;
    // POST /images/{repo}/push?tag= (anonymous: the registry must not ask for credentials);
    // returns the pushed manifest's digest ("sha256:..."). An error line fails the push.
    virtual Result<std::string> pushImage(const std::string& repo, const std::string& tag, const ProgressSink& progress) = 0;
    virtual Status removeImage(const std::string& nameOrId, bool force) = 0;
    // GET /images/{id}/get: the image as a `docker save` tarball, piece by piece to sink.
    virtual Status saveImage(const std::string& nameOrId, const BodySink& sink) = 0;
    // POST /images/load with the tarball from source (streamed, never held whole); an error line
    // in the reply fails the call.
    virtual Status loadImage(const BodySource& source) = 0;

    // Containers.
    virtual Result<std::string> createContainer(const ContainerSpec& spec) = 0;
    virtual Status startContainer(const std::string& id) = 0;
    virtual Status removeContainer(const std::string& id, bool force) = 0;
    virtual Status killContainer(const std::string& id) = 0;
    // Takes about a second (two samples): query several containers in parallel.
    virtual Result<ContainerStats> containerStats(const std::string& id) = 0;
    // GET /events with ?filters= and ?since= (Unix seconds): each event to onEvent as it happens.
    // Returns when onEvent returns false, or with ErrorCode::timeout after `idle` without any
    // event (callers reconnect with `since` to miss nothing).
    virtual Status followEvents(const std::map<std::string, std::vector<std::string>>& filters, std::int64_t sinceSeconds,
                                std::chrono::seconds idle, const std::function<bool(const EngineEvent&)>& onEvent) = 0;
    // GET /events with ?filters=, ?since= and ?until= in the past: the events the engine kept
    // from that span (Unix seconds; until may have a fraction), then the reply ends.
    virtual Result<std::vector<EngineEvent>> pastEvents(const std::map<std::string, std::vector<std::string>>& filters,
                                                        std::int64_t sinceSeconds, double untilSeconds) = 0;
    virtual Result<std::vector<ContainerSummary>> listContainers(const Labels& labelFilter, bool all) = 0;
    // PUT /containers/{id}/archive?path=DIR; DIR must exist in the container.
    virtual Status putArchive(const std::string& containerId, const std::string& dir, std::string tar) = 0;
    // The same with the tar archive from source, sent piece by piece (never held whole). A source
    // error abandons the upload and is returned with the request's context.
    virtual Status putArchiveStream(const std::string& containerId, const std::string& dir, const BodySource& source) = 0;

    // GET /containers/{id}/archive?path=PATH: a tar archive of PATH (its last component as the
    // archive's top entry), piece by piece to sink. sink returning false abandons it.
    virtual Status getArchive(const std::string& containerId, const std::string& path, const BodySink& sink) = 0;

    // Exec: create, stream the demultiplexed output until EOF (or until sink returns false), then
    // read the exit code.
    virtual Result<std::string> createExec(const std::string& containerId, const ExecSpec& spec) = 0;
    virtual Status startExec(const std::string& execId, const OutputSink& sink, std::chrono::seconds idleTimeout) = 0;
    virtual Result<ExecState> inspectExec(const std::string& execId) = 0;
    // POST /exec/{id}/start hijacked: the exec's raw stream both ways (framed as ExecDemuxer reads
    // it unless the exec has a TTY). The stream lives on after idleTimeout, which bounds the start.
    virtual Result<std::unique_ptr<ByteStream>> startExecAttached(
        const std::string& execId, bool tty, std::chrono::seconds idleTimeout = std::chrono::seconds(30)) = 0;
    // POST /exec/{id}/resize: the exec's TTY to cols x rows.
    virtual Status resizeExec(const std::string& execId, int cols, int rows) = 0;
    // After the exec's output ended: its exit code, which can trail the end of the output by a
    // few milliseconds (asked a bounded number of times, about 2 s in all).
    Result<int> execExitCode(const std::string& execId);
    // All three in one: output handed to sink as it comes, the exit code returned.
    Result<int> runExecStreaming(const std::string& containerId, const ExecSpec& spec, const OutputSink& sink,
                                 std::chrono::seconds idleTimeout);
    // All three in one, output collected.
    Result<ExecOutcome> runExec(const std::string& containerId, const ExecSpec& spec,
                                std::chrono::seconds idleTimeout = std::chrono::seconds(300));

    // Swarm (engine_swarm.cpp).
    virtual Result<EngineInfo> info() = 0;
    // POST /swarm/init; listen and advertise addresses as "host:port" / "host".
    virtual Status initSwarm(const std::string& listenAddr, const std::string& advertiseAddr) = 0;
    virtual Result<std::vector<SwarmNode>> listNodes() = 0;
    virtual Result<SwarmJoinInfo> swarmJoinInfo() = 0;
    // Sets these labels on a node, keeping its others (re-read at each attempt, retried like
    // scaleService).
    virtual Status setNodeLabels(const std::string& nodeId, const Labels& labels) = 0;

    virtual Result<std::string> createNetwork(const NetworkSpec& spec) = 0;
    virtual Result<std::vector<NetworkInfo>> listNetworks(const Labels& labelFilter) = 0;
    virtual Status removeNetwork(const std::string& id) = 0;

    virtual Status createVolume(const std::string& name, const Labels& labels) = 0;
    virtual Result<std::vector<VolumeInfo>> listVolumes(const Labels& labelFilter) = 0;
    virtual Status removeVolume(const std::string& name) = 0;

    // The swarm lists (secrets, services, tasks) of an engine in no swarm at all are empty, not an
    // error: nothing of a cluster can be there yet. A swarm worker's refusal stays an error.
    virtual Result<std::string> createSecret(const std::string& name, const std::string& data, const Labels& labels) = 0;
    virtual Result<std::vector<SecretInfo>> listSecrets(const Labels& labelFilter) = 0;
    virtual Status removeSecret(const std::string& id) = 0;

    virtual Result<std::string> createService(const ServiceSpec& spec) = 0;
    virtual Result<std::vector<ServiceInfo>> listServices(const Labels& labelFilter) = 0;
    virtual Result<ServiceInfo> inspectService(const std::string& id) = 0;
    // Changes the replica count, re-reading the service and retrying (bounded) when the engine
    // answers "update out of sequence" because someone else updated it in between.
    virtual Status scaleService(const std::string& id, std::uint64_t replicas) = 0;
    // Changes a service's labels by compare-and-swap: reads the service, asks decide (given it as
    // read) for the labels to set (an empty value removes that label) or for an error, returned as
    // it is with nothing changed, then updates at the version read. Someone else's update in
    // between ("update out of sequence") makes it read and decide again (bounded). Only
    // Spec.Labels change: the service's tasks keep running.
    virtual Status updateServiceLabels(const std::string& id,
                                       const std::function<Result<Labels>(const ServiceInfo&)>& decide) = 0;
    virtual Status removeService(const std::string& id) = 0;
    // GET /tasks with ?filters= (e.g. {"service": [...], "desired-state": ["running"]}).
    virtual Result<std::vector<TaskInfo>> listTasks(const std::map<std::string, std::vector<std::string>>& filters) = 0;
};

// The Engine API over a Transport (HTTP on a unix socket or TCP). Copies share the connection's
// transport.
class EngineClient final : public Engine {
public:
    // Pings the engine (GET /_ping), reads its API-Version and fails unless it is at least 1.41.
    // pingTimeout bounds each step of the ping (connect, send, read).
    static Result<EngineClient> connect(std::shared_ptr<Transport> transport,
                                        std::chrono::seconds pingTimeout = std::chrono::seconds(10));
    // connect() to $DOCKER_HOST (unix://... or tcp://...), default /var/run/docker.sock, secured
    // as model::endpointFromEnvironment says (DOCKER_TLS_VERIFY, DOCKER_CERT_PATH, PPCS_INSECURE_TCP).
    static Result<EngineClient> connectFromEnvironment();
    // connect() to an endpoint written as parseEngineEndpoint accepts it (plain: tcp:// is refused).
    static Result<EngineClient> connectTo(std::string_view endpoint, std::chrono::seconds pingTimeout = std::chrono::seconds(10));
    // connect() to endpoint over the transport makeTransport gives it.
    static Result<EngineClient> connectTo(const EngineEndpoint& endpoint,
                                          std::chrono::seconds pingTimeout = std::chrono::seconds(10));

    const std::string& engineApiVersion() const { return engineApiVersion_; }
    // Whether the engine is Podman's Docker-compatible service (its /_ping named a Libpod API
    // version). EngineClient smooths over Podman's differences itself; this is for messages and
    // for the choice of a cluster backend (Podman has no Swarm: EngineInfo::swarmSupported).
    bool isPodman() const { return podman_; }
    std::string endpoint() const override { return transport_->endpoint(); }

    Result<std::optional<ImageInfo>> inspectImage(const std::string& nameOrId) override;
    Status pullImage(const std::string& image, const std::string& tag, const ProgressSink& progress,
                     std::chrono::seconds idleTimeout) override;
    Result<std::string> importImage(std::string rootfsTar, const std::string& repo, const std::string& tag,
                                    const std::vector<std::string>& changes, const ProgressSink& progress) override;
    Result<std::string> buildImage(const BuildParams& params, const ProgressSink& progress) override;
    Status tagImage(const std::string& imageId, const std::string& repo, const std::string& tag) override;
    Result<std::string> pushImage(const std::string& repo, const std::string& tag, const ProgressSink& progress) override;
    Status removeImage(const std::string& nameOrId, bool force) override;
    Status saveImage(const std::string& nameOrId, const BodySink& sink) override;
    Status loadImage(const BodySource& source) override;

    Result<std::string> createContainer(const ContainerSpec& spec) override;
    Status startContainer(const std::string& id) override;
    Status removeContainer(const std::string& id, bool force) override;
    Status killContainer(const std::string& id) override;
    Result<ContainerStats> containerStats(const std::string& id) override;
    Status followEvents(const std::map<std::string, std::vector<std::string>>& filters, std::int64_t sinceSeconds,
                        std::chrono::seconds idle, const std::function<bool(const EngineEvent&)>& onEvent) override;
    Result<std::vector<EngineEvent>> pastEvents(const std::map<std::string, std::vector<std::string>>& filters,
                                                std::int64_t sinceSeconds, double untilSeconds) override;
    Result<std::vector<ContainerSummary>> listContainers(const Labels& labelFilter, bool all) override;
    Status putArchive(const std::string& containerId, const std::string& dir, std::string tar) override;
    Status putArchiveStream(const std::string& containerId, const std::string& dir, const BodySource& source) override;
    Status getArchive(const std::string& containerId, const std::string& path, const BodySink& sink) override;

    Result<std::string> createExec(const std::string& containerId, const ExecSpec& spec) override;
    Status startExec(const std::string& execId, const OutputSink& sink, std::chrono::seconds idleTimeout) override;
    Result<ExecState> inspectExec(const std::string& execId) override;
    Result<std::unique_ptr<ByteStream>> startExecAttached(const std::string& execId, bool tty,
                                                          std::chrono::seconds idleTimeout = std::chrono::seconds(30)) override;
    Status resizeExec(const std::string& execId, int cols, int rows) override;

    // Swarm (engine_swarm.cpp).
    Result<EngineInfo> info() override;
    Status initSwarm(const std::string& listenAddr, const std::string& advertiseAddr) override;
    Result<std::vector<SwarmNode>> listNodes() override;
    Result<SwarmJoinInfo> swarmJoinInfo() override;
    Status setNodeLabels(const std::string& nodeId, const Labels& labels) override;

    Result<std::string> createNetwork(const NetworkSpec& spec) override;
    Result<std::vector<NetworkInfo>> listNetworks(const Labels& labelFilter) override;
    Status removeNetwork(const std::string& id) override;

    Status createVolume(const std::string& name, const Labels& labels) override;
    Result<std::vector<VolumeInfo>> listVolumes(const Labels& labelFilter) override;
    Status removeVolume(const std::string& name) override;

    Result<std::string> createSecret(const std::string& name, const std::string& data, const Labels& labels) override;
    Result<std::vector<SecretInfo>> listSecrets(const Labels& labelFilter) override;
    Status removeSecret(const std::string& id) override;

    Result<std::string> createService(const ServiceSpec& spec) override;
    Result<std::vector<ServiceInfo>> listServices(const Labels& labelFilter) override;
    Result<ServiceInfo> inspectService(const std::string& id) override;
    Status scaleService(const std::string& id, std::uint64_t replicas) override;
    Status updateServiceLabels(const std::string& id, const std::function<Result<Labels>(const ServiceInfo&)>& decide) override;
    Status removeService(const std::string& id) override;
    Result<std::vector<TaskInfo>> listTasks(const std::map<std::string, std::vector<std::string>>& filters) override;

private:
    explicit EngineClient(std::shared_ptr<Transport> transport) : transport_(std::move(transport)) {}

    std::string versioned(std::string_view path) const;
    Result<HttpResponse> call(HttpRequest request);
    Result<HttpResponse> call(const std::string& method, const std::string& path, std::string body = {});
    // GET path, then POST path/update?version= with the spec respec makes of the reply; retried
    // (bounded) while the engine answers "update out of sequence" (someone else updated it).
    Status updateWithRetry(const std::string& path, const std::function<Result<std::string>(std::string_view)>& respec,
                           const std::string& what);
    // Streams a newline-delimited JSON progress reply; an error line fails the call.
    Result<std::vector<ProgressMessage>> streamProgress(HttpRequest request, const ProgressSink& progress);

    std::shared_ptr<Transport> transport_;
    std::string engineApiVersion_;
    bool podman_ = false;
};

// Engine API versions as "major.minor": true when version >= minimum.
bool apiVersionAtLeast(std::string_view version, std::string_view minimum);

// Whether a Swarm call (services, secrets, nodes) failed because the engine has no Swarm to ask:
// Docker outside a swarm (503 "... not a swarm manager. Use \"docker swarm init\" ...") or
// Podman (404: no such route). A swarm that exists but cannot answer (no leader, 503) is not.
bool failedForNoSwarm(const Error& error);

}  // namespace ppcs::docker
