#pragma once
// The real DaemonServices: connects to the Docker engine per operation (so ppcsd survives an
// engine restart) and runs image builds.

#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include "api/server.h"
#include "image/image_builder.h"

namespace ppcs::daemon {

class RealDaemonServices final : public api::DaemonServices {
public:
    explicit RealDaemonServices(std::string stateDir);

    api::DaemonStatus status() override;
    Result<image::BuildOutcome> buildImage(const image::BuildRequest& request, const image::BuildProgress& progress) override;
    void requestStop() override;

private:
    std::string stateDir_;
    std::chrono::steady_clock::time_point started_;
    std::unique_ptr<image::ProcessRunner> runner_;
    std::mutex buildMutex_;
};

}  // namespace ppcs::daemon
