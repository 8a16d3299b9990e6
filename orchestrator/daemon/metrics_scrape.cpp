#include "daemon/metrics_scrape.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>

#include "common/log.h"
#include "daemon/daemon_services.h"
#include "docker/transport.h"
#include "metrics/ppcsd_metrics.h"

namespace ppcs::daemon {
namespace {

// A scrape reads at most this many clusters: the rest are counted in ppcs_clusters only.
constexpr std::size_t kMostClustersScraped = 64;

// Forwards to the real transport and counts what failed.
class CountingTransport final : public docker::Transport {
public:
    CountingTransport(std::shared_ptr<docker::Transport> inner, metrics::Registry& metrics)
        : inner_(std::move(inner)), metrics_(metrics) {}

    Result<docker::HttpResponse> send(const docker::HttpRequest& request) override {
        Timed timed(request);
        return counted(inner_->send(request));
    }
    Result<docker::HttpResponse> stream(const docker::HttpRequest& request, const docker::BodySink& sink) override {
        Timed timed(request);
        bool stopped = false;  // the caller's sink ended the stream: no failure of the engine
        auto reply = inner_->stream(request, [&sink, &stopped](std::string_view piece) {
            stopped = !sink(piece);
            return !stopped;
        });
        // A stream that stays silent past its idle timeout is how the event watch reconnects.
        if (stopped || (!reply && reply.error().code == ErrorCode::timeout)) return reply;
        return counted(std::move(reply));
    }
    Result<docker::HttpResponse> upload(const docker::HttpRequest& request, const docker::BodySource& source) override {
        Timed timed(request);
        return counted(inner_->upload(request, source));
    }
    Result<docker::Hijacked> hijack(const docker::HttpRequest& request) override {
        Timed timed(request);
        auto reply = inner_->hijack(request);
        if (!reply)
            metrics::recordEngineError(metrics_, metrics::EngineErrorKind::unreachable);
        else if (reply->response.status >= 500)
            metrics::recordEngineError(metrics_, metrics::EngineErrorKind::serverError);
        return reply;
    }
    std::string endpoint() const override { return inner_->endpoint(); }

private:
    // At debug level (PPCS_LOG=debug), every engine call is logged with how long it took: what a
    // request costs in engine round trips shows in ppcsd.log.
    class Timed {
    public:
        explicit Timed(const docker::HttpRequest& request) : request_(request) {}
        ~Timed() {
            if (!log::enabled(log::Level::debug)) return;
            auto took = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started_).count();
            std::string path = request_.target.substr(0, request_.target.find('?'));
            log::debug("engine " + request_.method + " " + path + " " + std::to_string(took).substr(0, 6) + " ms");
        }
        Timed(const Timed&) = delete;
        Timed& operator=(const Timed&) = delete;

    private:
        const docker::HttpRequest& request_;
        std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
    };

    Result<docker::HttpResponse> counted(Result<docker::HttpResponse> reply) {
        if (!reply)
            metrics::recordEngineError(metrics_, metrics::EngineErrorKind::unreachable);
        else if (reply->status >= 500)
            metrics::recordEngineError(metrics_, metrics::EngineErrorKind::serverError);
        return reply;
    }

    std::shared_ptr<docker::Transport> inner_;
    metrics::Registry& metrics_;
};

}  // namespace

Result<docker::EngineClient> connectCountedEngine(metrics::Registry& metrics) {
    auto endpoint = model::endpointFromEnvironment(model::processDockerEnvironment());
    if (!endpoint) return endpoint.error();
    auto transport = docker::makeTransport(*endpoint);
    if (!transport) return transport.error();
    return docker::EngineClient::connect(std::make_shared<CountingTransport>(std::move(*transport), metrics));
}

// Gauges from what ppcsd knows now: the clusters on the engine (a cluster's view when `run` keeps
// one, else one read), the job counts of jobs.db. A read that fails is counted, never fatal.
Result<std::string> RealDaemonServices::metrics() {
    std::vector<model::ClusterStatus> read;
    std::optional<std::size_t> clusterCount;
    auto noted = [this](const std::string& what, const Error& error) {
        metrics::recordEngineError(metrics_, metrics::EngineErrorKind::clusterRead);
        log::warn("metrics: " + what + ": " + error.message);
    };
    auto engine = connectEngine();
    if (!engine) {
        noted("list clusters", engine.error());
    } else {
        cluster::ClusterManager manager(*engine, *runner_, &buildMutex_);
        auto names = manager.list();
        if (!names) noted("list clusters", names.error());
        if (names) clusterCount = names->size();
        for (std::size_t i = 0; names && i < std::min(names->size(), kMostClustersScraped); ++i) {
            const auto& name = (*names)[i];
            auto view = clusterViews_.find(name);  // what `run` keeps: no engine call
            auto status = view ? Result<model::ClusterStatus>(std::move(*view)) : manager.status(name);
            if (status)
                read.push_back(std::move(*status));
            else
                noted("read cluster '" + name + "'", status.error());
        }
    }
    auto jobs = store_->countByState();
    if (!jobs) log::warn("metrics: " + jobs.error().message);
    metrics::Registry snapshot(metrics_);
    if (clusterCount) metrics::setClusterGauges(snapshot, *clusterCount, read);
    if (jobs) metrics::setJobGauges(snapshot, *jobs);
    return snapshot.render();
}

}  // namespace ppcs::daemon
