// Who may hold a cluster at once, inside one ppcsd (the lease across daemons is lease_test's).

#include "cluster/operation_locks.h"

#include <catch2/catch.hpp>
#include <future>
#include <thread>

using namespace ppcs;
using namespace ppcs::cluster;

TEST_CASE("jobs share a cluster with each other and with a heal, everything else has it alone", "[cluster][locks]") {
    CHECK(operationsShare(model::ClusterOperation::run, model::ClusterOperation::heal));
    CHECK(operationsShare(model::ClusterOperation::heal, model::ClusterOperation::run));
    CHECK(operationsShare(model::ClusterOperation::run, model::ClusterOperation::run));
    CHECK_FALSE(operationsShare(model::ClusterOperation::heal, model::ClusterOperation::heal));
    CHECK_FALSE(operationsShare(model::ClusterOperation::scale, model::ClusterOperation::heal));
    CHECK_FALSE(operationsShare(model::ClusterOperation::bench, model::ClusterOperation::run));

    OperationLocks locks;
    auto job = locks.acquire("demo", model::ClusterOperation::run);
    REQUIRE(job);
    auto heal = locks.acquire("demo", model::ClusterOperation::heal, std::chrono::milliseconds(0));
    REQUIRE(heal);
    CHECK(locks.busyWith("demo") == std::optional<model::ClusterOperation>(model::ClusterOperation::run));
    // Jobs side by side (the queue places them on disjoint members); a scale is refused.
    auto second = locks.acquire("demo", model::ClusterOperation::run);
    CHECK(second);
    auto scale = locks.acquire("demo", model::ClusterOperation::scale);
    REQUIRE_FALSE(scale);
    CHECK(scale.error().code == ErrorCode::conflict);
    CHECK(scale.error().message.find("busy with another request (run)") != std::string::npos);
    // Another cluster is another matter.
    CHECK(locks.acquire("other", model::ClusterOperation::scale));
}

TEST_CASE("up, scale and down make a heal give way and wait for it, a job they refuse at once", "[cluster][locks]") {
    OperationLocks locks;
    auto heal = locks.acquire("demo", model::ClusterOperation::heal, std::chrono::milliseconds(0));
    REQUIRE(heal);
    const std::atomic<bool>* yield = heal->yieldRequested();
    REQUIRE(yield);
    CHECK_FALSE(yield->load());
    CHECK_FALSE(locks.tasksChanging("demo"));

    // The heal does not give way within the wait: refused, naming it, and asked to yield.
    auto impatient = locks.acquire("demo", model::ClusterOperation::down, std::chrono::milliseconds(100));
    REQUIRE_FALSE(impatient);
    CHECK(impatient.error().message.find("busy with another request (heal)") != std::string::npos);
    CHECK(yield->load());

    // A heal that gives way when asked: scale gets the cluster.
    auto healer = std::async(std::launch::async, [&] {
        while (!yield->load()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        auto done = std::move(*heal);  // released at the end of this scope
    });
    auto scale = locks.acquire("demo", model::ClusterOperation::scale, std::chrono::seconds(10));
    healer.get();
    REQUIRE(scale);
    CHECK(locks.tasksChanging("demo"));
    CHECK(locks.busyWith("demo") == std::optional<model::ClusterOperation>(model::ClusterOperation::scale));
    // A heal cannot start under scale, and a job is refused at once.
    auto refusedHeal = locks.acquire("demo", model::ClusterOperation::heal, std::chrono::milliseconds(0));
    REQUIRE_FALSE(refusedHeal);
    auto started = std::chrono::steady_clock::now();
    auto refusedJob = locks.acquire("demo", model::ClusterOperation::run, std::chrono::seconds(5));
    REQUIRE_FALSE(refusedJob);
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(2));
    CHECK(refusedJob.error().message.find("(scale)") != std::string::npos);
}

TEST_CASE("a cluster is free again once every holder has let go", "[cluster][locks]") {
    OperationLocks locks;
    {
        auto job = locks.acquire("demo", model::ClusterOperation::run);
        REQUIRE(job);
        {
            auto heal = locks.acquire("demo", model::ClusterOperation::heal, std::chrono::milliseconds(0));
            REQUIRE(heal);
        }
        CHECK(locks.busyWith("demo") == std::optional<model::ClusterOperation>(model::ClusterOperation::run));
        CHECK_FALSE(locks.acquire("demo", model::ClusterOperation::down, std::chrono::milliseconds(0)));
    }
    CHECK_FALSE(locks.busyWith("demo"));
    CHECK(locks.acquire("demo", model::ClusterOperation::down, std::chrono::milliseconds(0)));
}
