#include "daemon/daemon_services.h"

#include <signal.h>
#include <unistd.h>

#include "docker/engine.h"

namespace ppcs::daemon {

RealDaemonServices::RealDaemonServices(std::string stateDir)
    : stateDir_(std::move(stateDir)), started_(std::chrono::steady_clock::now()), runner_(image::makeProcessRunner()) {}

api::DaemonStatus RealDaemonServices::status() {
    api::DaemonStatus status;
    status.pid = static_cast<int>(::getpid());
    status.version = PPCS_VERSION;
    status.stateDir = stateDir_;
    status.uptimeSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    auto engine = docker::EngineClient::connectFromEnvironment();
    if (engine) {
        status.engine.reachable = true;
        status.engine.endpoint = engine->endpoint();
        status.engine.apiVersion = engine->engineApiVersion();
    } else {
        status.engine.error = engine.error().message;
    }
    return status;
}

Result<image::BuildOutcome> RealDaemonServices::buildImage(const image::BuildRequest& request, const image::BuildProgress& progress) {
    auto engine = docker::EngineClient::connectFromEnvironment();
    if (!engine) return engine.error().context("build image " + request.imageRef);
    // One build at a time per daemon: two builds of one image would race for its tag.
    std::unique_lock<std::mutex> lock(buildMutex_, std::try_to_lock);
    if (!lock.owns_lock()) {
        progress("check", "another build is running: waiting for it");
        lock.lock();
    }
    image::ImageBuilder builder(*engine, *runner_);
    return builder.build(request, progress);
}

template <class Value, class Fn>
Result<Value> RealDaemonServices::withCluster(const std::string& name, const std::string& operation, Fn fn) {
    auto held = clusterLocks_.acquire(name, operation);
    if (!held) return held.error().context(operation + " '" + name + "'");
    auto engine = docker::EngineClient::connectFromEnvironment();
    if (!engine) return engine.error().context(operation + " '" + name + "'");
    cluster::ClusterManager manager(*engine, *runner_, &buildMutex_);
    return fn(manager);
}

Result<cluster::ClusterStatus> RealDaemonServices::upCluster(const api::UpRequest& request, const cluster::Progress& progress) {
    return withCluster<cluster::ClusterStatus>(request.spec.name, "up", [&](cluster::ClusterManager& manager) {
        return manager.up(request.spec, std::chrono::seconds(request.timeoutSeconds), progress);
    });
}

Result<cluster::ClusterStatus> RealDaemonServices::scaleCluster(const api::ScaleRequest& request, const cluster::Progress& progress) {
    return withCluster<cluster::ClusterStatus>(request.name, "scale", [&](cluster::ClusterManager& manager) {
        return manager.scale(request.name, request.nodes, std::chrono::seconds(request.timeoutSeconds), progress);
    });
}

Result<cluster::DownReport> RealDaemonServices::downCluster(const api::DownRequest& request, const cluster::Progress& progress) {
    return withCluster<cluster::DownReport>(request.name, "down", [&](cluster::ClusterManager& manager) {
        return manager.down(request.name, request.removeVolume, progress);
    });
}

Result<cluster::ClusterStatus> RealDaemonServices::clusterStatus(const std::string& name) {
    auto engine = docker::EngineClient::connectFromEnvironment();
    if (!engine) return engine.error();
    cluster::ClusterManager manager(*engine, *runner_);
    return manager.status(name);
}

Result<std::vector<std::string>> RealDaemonServices::listClusters() {
    auto engine = docker::EngineClient::connectFromEnvironment();
    if (!engine) return engine.error();
    cluster::ClusterManager manager(*engine, *runner_);
    return manager.list();
}

void RealDaemonServices::requestStop() {
    // The signal thread owns shutdown; sending ourselves SIGTERM takes the same path as `kill`.
    ::kill(::getpid(), SIGTERM);
}

}  // namespace ppcs::daemon
