#pragma once
// A ClusterManager on a FakeEngine, for unit tests of what the lifecycle, healing and jobs do with
// the engine: the node image is already built (its context hash matches), and ssh-keygen is
// replaced by a runner that writes a dummy key pair where it was asked to.

#include <chrono>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include "cluster/cluster_manager.h"
#include "image/build_context.h"
#include "image/image_builder.h"
#include "support/fake_engine.h"

namespace ppcs::testing {

// Runs nothing: writes "<path>" and "<path>.pub" for `ssh-keygen ... -f <path>`.
class KeyWritingRunner final : public image::ProcessRunner {
public:
    Result<image::ProcessOutcome> run(const image::ProcessSpec& spec, const image::LineSink&) override {
        const std::string& path = spec.argv.back();
        std::ofstream(path) << "PRIVATE KEY\n";
        std::ofstream(path + ".pub") << "ssh-ed25519 PUBLIC ppcs\n";
        return image::ProcessOutcome{0, ""};
    }
};

struct FakeClusterHost {
    std::shared_ptr<FakeEngine> engine = std::make_shared<FakeEngine>();
    KeyWritingRunner runner;
    cluster::ClusterManager manager{*engine, runner};

    FakeClusterHost() {
        auto context = image::loadBuildContext(image::defaultImageContextDir());
        std::string hash = context ? image::contextHash(*context) : "no build context";
        engine->addImage(docker::ImageInfo{
            "sha256:" + std::string(64, 'e'), {image::kDefaultImageRef}, {{image::kContextHashLabel, hash}}, 0, ""});
    }

    Result<cluster::ClusterStatus> up(const std::string& name, int nodes,
                                      std::chrono::seconds timeout = std::chrono::seconds(10)) {
        cluster::ClusterSpec spec;
        spec.name = name;
        spec.nodeCount = nodes;
        return manager.up(spec, timeout, [](model::Phase, const std::string&) {});
    }

    // The engine as a cluster::EngineFactory hands it out.
    std::function<Result<std::shared_ptr<docker::Engine>>()> factory() const {
        return [engine = engine]() -> Result<std::shared_ptr<docker::Engine>> { return std::shared_ptr<docker::Engine>(engine); };
    }
};

// Waits (bounded) for condition; true once it holds.
template <class Condition>
bool eventually(Condition condition, std::chrono::milliseconds limit = std::chrono::milliseconds(3000)) {
    auto until = std::chrono::steady_clock::now() + limit;
    while (!condition()) {
        if (std::chrono::steady_clock::now() > until) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
}

}  // namespace ppcs::testing
