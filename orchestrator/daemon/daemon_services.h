#pragma once
// The real DaemonServices: connects to the Docker engine per operation (so ppcsd survives an
// engine restart) and runs image builds.

#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include "api/server.h"
#include "cluster/cluster_manager.h"
#include "image/image_builder.h"

namespace ppcs::daemon {

class RealDaemonServices final : public api::DaemonServices {
public:
    explicit RealDaemonServices(std::string stateDir);

    api::DaemonStatus status() override;
    Result<image::BuildOutcome> buildImage(const image::BuildRequest& request, const image::BuildProgress& progress) override;
    Result<cluster::ClusterStatus> upCluster(const api::UpRequest& request, const cluster::Progress& progress) override;
    Result<cluster::ClusterStatus> scaleCluster(const api::ScaleRequest& request, const cluster::Progress& progress) override;
    Result<cluster::DownReport> downCluster(const api::DownRequest& request, const cluster::Progress& progress) override;
    Result<cluster::ClusterStatus> clusterStatus(const std::string& name) override;
    Result<std::vector<std::string>> listClusters() override;
    void requestStop() override;

private:
    // Connects to the engine and runs fn with a ClusterManager, holding the cluster's lock.
    template <class Value, class Fn>
    Result<Value> withCluster(const std::string& name, const std::string& operation, Fn fn);

    std::string stateDir_;
    std::chrono::steady_clock::time_point started_;
    std::unique_ptr<image::ProcessRunner> runner_;
    std::mutex buildMutex_;
    cluster::OperationLocks clusterLocks_;
};

}  // namespace ppcs::daemon
