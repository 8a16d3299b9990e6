#pragma once
// A real ApiServer on a free loopback port, serving in a thread, with the daemon's services
// faked; and StubServices, a fake whose every service fails, for tests that need only a few.

#include <httplib.h>

#include <chrono>
#include <functional>
#include <thread>

#include "api/client.h"
#include "api/server.h"

namespace ppcs::api::fakes {

class StubServices : public DaemonServices {
public:
    DaemonStatus status() override { return {}; }
    Result<model::BuildOutcome> buildImage(const model::BuildRequest&, const model::BuildProgress&) override { return stub(); }
    Result<model::ClusterStatus> upCluster(const UpRequest&, const model::Progress&) override { return stub(); }
    Result<model::ClusterStatus> scaleCluster(const ScaleRequest&, const model::Progress&) override { return stub(); }
    Result<model::DownReport> downCluster(const DownRequest&, const model::Progress&) override { return stub(); }
    Result<model::ClusterStatus> clusterStatus(const std::string&) override { return stub(); }
    Result<model::ClusterStatus> clusterAddresses(const std::string&) override { return stub(); }
    Result<std::vector<std::string>> listClusters() override { return stub(); }
    Result<std::vector<model::Host>> listHosts() override { return stub(); }
    Result<model::Host> addHost(const AddHostRequest&) override { return stub(); }
    Result<std::string> joinCommand() override { return stub(); }
    Result<model::BenchReport> benchCluster(const model::BenchRequest&, const model::Progress&) override { return stub(); }
    Result<std::vector<model::MemberStats>> clusterStats(const std::string&) override { return stub(); }
    Result<model::JobOutcome> runJob(const model::JobRequest&, const model::Progress&, const std::function<bool()>&) override {
        return stub();
    }
    bool cancelJob(const std::string&) override { return false; }
    Result<bool> cancelJobById(std::int64_t) override { return stub(); }
    Result<std::vector<model::JobRecord>> listJobs(int) override { return stub(); }
    Result<std::pair<model::JobRecord, std::vector<model::OutputChunk>>> jobLog(std::int64_t) override { return stub(); }
    Result<model::PruneReport> pruneJobs(std::optional<int>) override { return stub(); }
    Result<model::CopyReport> copyFiles(const model::CopyRequest&, const model::Progress&,
                                        const std::function<bool()>&) override {
        return stub();
    }
    void requestStop() override {}

private:
    static Error stub() { return makeError(ErrorCode::unavailable, "not in this fake"); }
};

template <class Services>
class RunningServer {
public:
    explicit RunningServer(ServerLimits limits = {}, std::string metricsToken = "")
        : server_(services, "good-token", limits, std::move(metricsToken)) {
        port = *server_.bind(0);
        thread_ = std::thread([this] { server_.serve(); });
        httplib::Client probe("127.0.0.1", port);
        for (int i = 0; i < 100 && !probe.Get("/v1/version"); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ~RunningServer() {
        server_.stop();
        thread_.join();
    }
    RunningServer(const RunningServer&) = delete;
    RunningServer& operator=(const RunningServer&) = delete;

    ApiClient client(const std::string& token = "good-token") { return ApiClient(Endpoint{port, 0, token}); }
    httplib::Headers auth() const { return {{"Authorization", "Bearer good-token"}}; }
    const ApiServer& server() const { return server_; }

    Services services;
    int port = 0;

private:
    ApiServer server_;
    std::thread thread_;
};

// Polls until done() or the bound passes; done()'s last answer.
inline bool waitUntil(const std::function<bool()>& done, std::chrono::milliseconds bound = std::chrono::seconds(10)) {
    auto deadline = std::chrono::steady_clock::now() + bound;
    while (!done()) {
        if (std::chrono::steady_clock::now() > deadline) return done();
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
}

}  // namespace ppcs::api::fakes
