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

void RealDaemonServices::requestStop() {
    // The signal thread owns shutdown; sending ourselves SIGTERM takes the same path as `kill`.
    ::kill(::getpid(), SIGTERM);
}

}  // namespace ppcs::daemon
