// The cluster lease against recorded engine answers: a free lease is taken at the version read, a
// live one of another ppcsd is refused with its holder named, an expired one is taken over, and a
// lost compare-and-swap ("update out of sequence") is read and decided again.

#include "cluster/lease.h"

#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "cluster/cluster_manager.h"
#include "support/fake_transport.h"

using namespace ppcs;
using namespace ppcs::cluster;
using ppcs::testing::FakeTransport;

namespace {

const char* kOutOfSequence = R"({"message":"rpc error: code = Unknown desc = update out of sequence"})";
// Renewal never comes round during a test: only take and release talk to the engine.
const LeaseSettings kNoRenewal{std::chrono::milliseconds(30000), std::chrono::hours(1), std::chrono::hours(2)};

std::string headJson(std::uint64_t version, const std::string& lease) {
    std::string labels = R"("ppcs.cluster":"demo","ppcs.role":"head")";
    if (!lease.empty()) labels += R"(,"ppcs.lease":")" + lease + "\"";
    return R"({"ID":"h1","Version":{"Index":)" + std::to_string(version) + R"(},"Spec":{"Name":"demo_mpihead","Labels":{)" +
           labels + R"(},"Mode":{"Replicated":{"Replicas":1}},"TaskTemplate":{"ContainerSpec":{"Image":"sha256:0123"}}}})";
}

std::string leaseOf(const std::string& owner, const std::string& operation, std::int64_t expiresAtMs) {
    return encodeLeaseRecord(LeaseRecord{owner, model::clusterOperationFromName(operation), expiresAtMs});
}

// An engine whose cluster 'demo' has its head service at version, with lease as its label.
std::shared_ptr<FakeTransport> engineWithHead(std::uint64_t version, const std::string& lease) {
    auto transport = std::make_shared<FakeTransport>();
    transport->expect("GET", "/_ping", testing::pingReply("1.41"));
    transport->expectJson("GET", "/v1.41/services", 200, "[" + headJson(version, lease) + "]");
    transport->expectJson("GET", "/v1.41/services/h1", 200, headJson(version, lease));
    return transport;
}

EngineFactory factoryFor(const std::shared_ptr<FakeTransport>& transport) {
    auto engine = docker::EngineClient::connect(transport);
    REQUIRE(engine);
    return clientFactory([client = *engine]() -> Result<docker::EngineClient> { return client; });
}

// The lease record an update request sent.
std::optional<LeaseRecord> sentLease(const docker::HttpRequest& request) {
    auto marker = request.body.find("\"ppcs.lease\":\"");
    if (marker == std::string::npos) return std::nullopt;
    auto start = marker + std::string("\"ppcs.lease\":\"").size();
    return decodeLeaseRecord(request.body.substr(start, request.body.find('"', start) - start));
}

}  // namespace

TEST_CASE("lease records round-trip and malformed labels count as no lease", "[cluster][lease]") {
    auto decoded = decodeLeaseRecord(leaseOf("host:12:ab", "scale", 1700000000123));
    REQUIRE(decoded);
    CHECK(decoded->owner == "host:12:ab");
    CHECK(decoded->operation == model::ClusterOperation::scale);
    CHECK(decoded->expiresAtMs == 1700000000123);
    CHECK(decoded->liveAt(1700000000000));
    CHECK_FALSE(decoded->liveAt(1700000000123));
    CHECK_FALSE(decodeLeaseRecord(""));
    CHECK_FALSE(decodeLeaseRecord("host:12:ab scale"));
    CHECK_FALSE(decodeLeaseRecord("host:12:ab scale soon"));
    CHECK_FALSE(decodeLeaseRecord("host:12:ab scale -5"));
    CHECK_FALSE(decodeLeaseRecord("a b c 1"));
    // Another ppcsd's operation this build does not know still holds the cluster: read as other.
    auto unknown = decodeLeaseRecord("host:12:ab migrate 1700000000123");
    REQUIRE(unknown);
    CHECK(unknown->operation == model::ClusterOperation::other);
    CHECK(leaseOwnerId().find(':') != std::string::npos);
    CHECK(leaseOwnerId() == leaseOwnerId());
}

TEST_CASE("a free lease is taken at the version read and released, expired, when dropped", "[cluster][lease]") {
    auto transport = engineWithHead(5, "");
    transport->expectJson("POST", "/v1.41/services/h1/update", 200, R"({"Warnings":null})");
    std::int64_t before = unixMillisNow();
    auto lease = ClusterLease::take(factoryFor(transport), "demo", model::ClusterOperation::scale, kNoRenewal, "me:1:aa");
    REQUIRE(lease);
    CHECK((*lease)->held());
    auto posts = transport->requestsTo("POST", "/v1.41/services/h1/update");
    REQUIRE(posts.size() == 1);
    CHECK(posts[0].target.find("version=5") != std::string::npos);
    auto taken = sentLease(posts[0]);
    REQUIRE(taken);
    CHECK(taken->owner == "me:1:aa");
    CHECK(taken->operation == model::ClusterOperation::scale);
    CHECK(taken->expiresAtMs >= before + 30000);
    // The rest of the spec goes back as it was read.
    CHECK(posts[0].body.find("\"Replicas\":1") != std::string::npos);
    CHECK(posts[0].body.find("\"ppcs.role\":\"head\"") != std::string::npos);

    transport->expectJson("GET", "/v1.41/services/h1", 200, headJson(6, encodeLeaseRecord(*taken)));
    transport->expectJson("POST", "/v1.41/services/h1/update", 200, R"({"Warnings":null})");
    lease->reset();
    posts = transport->requestsTo("POST", "/v1.41/services/h1/update");
    REQUIRE(posts.size() == 2);
    CHECK(posts[1].target.find("version=6") != std::string::npos);
    auto released = sentLease(posts[1]);
    REQUIRE(released);
    CHECK(released->owner == "me:1:aa");
    CHECK_FALSE(released->liveAt(unixMillisNow()));
}

TEST_CASE("a live lease of another ppcsd is refused, naming its owner and operation", "[cluster][lease]") {
    auto transport = engineWithHead(7, leaseOf("other:99:bb", "run", unixMillisNow() + 20000));
    auto lease = ClusterLease::take(factoryFor(transport), "demo", model::ClusterOperation::scale, kNoRenewal, "me:1:aa");
    REQUIRE_FALSE(lease);
    CHECK(lease.error().code == ErrorCode::conflict);
    CHECK(lease.error().message.find("cluster 'demo' is busy with another ppcsd (other:99:bb, run") != std::string::npos);
    CHECK(transport->requestsTo("POST", "/v1.41/services/h1/update").empty());
}

TEST_CASE("an expired lease of another ppcsd is taken over", "[cluster][lease]") {
    auto transport = engineWithHead(7, leaseOf("other:99:bb", "run", unixMillisNow() - 1000));
    transport->expectJson("POST", "/v1.41/services/h1/update", 200, R"({"Warnings":null})");
    auto lease = ClusterLease::take(factoryFor(transport), "demo", model::ClusterOperation::heal, kNoRenewal, "me:1:aa");
    REQUIRE(lease);
    auto posts = transport->requestsTo("POST", "/v1.41/services/h1/update");
    REQUIRE(posts.size() == 1);
    CHECK(sentLease(posts[0])->owner == "me:1:aa");
    CHECK(sentLease(posts[0])->operation == model::ClusterOperation::heal);
    transport->expectJson("GET", "/v1.41/services/h1", 404, R"({"message":"service h1 not found"})");
    lease->reset();  // `down` removed the service meanwhile: nothing to release, and no error
}

TEST_CASE("the live lease of a ppcsd on this host whose process is gone is taken over at once", "[cluster][lease]") {
    pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) ::_exit(0);
    REQUIRE(::waitpid(child, nullptr, 0) == child);
    std::string thisHost = leaseOwnerId().substr(0, leaseOwnerId().find(':'));
    std::string dead = thisHost + ":" + std::to_string(child) + ":cc";
    std::string alive = thisHost + ":" + std::to_string(::getppid()) + ":cc";

    auto refusing = engineWithHead(7, leaseOf(alive, "run", unixMillisNow() + 20000));
    CHECK_FALSE(ClusterLease::take(factoryFor(refusing), "demo", model::ClusterOperation::cleanup, kNoRenewal, "me:1:aa"));

    auto transport = engineWithHead(7, leaseOf(dead, "run", unixMillisNow() + 20000));
    transport->expectJson("POST", "/v1.41/services/h1/update", 200, R"({"Warnings":null})");
    auto lease = ClusterLease::take(factoryFor(transport), "demo", model::ClusterOperation::cleanup, kNoRenewal, "me:1:aa");
    REQUIRE(lease);
    CHECK(sentLease(transport->requestsTo("POST", "/v1.41/services/h1/update").at(0))->operation ==
          model::ClusterOperation::cleanup);
    transport->expectJson("GET", "/v1.41/services/h1", 404, R"({"message":"service h1 not found"})");
}

TEST_CASE("a lost compare-and-swap reads the service again and decides on what it finds", "[cluster][lease]") {
    SECTION("another ppcsd took it in between: refused") {
        auto transport = engineWithHead(5, "");
        transport->expectJson("POST", "/v1.41/services/h1/update", 500, kOutOfSequence);
        transport->expectJson("GET", "/v1.41/services/h1", 200,
                              headJson(6, leaseOf("other:99:bb", "heal", unixMillisNow() + 30000)));
        auto lease = ClusterLease::take(factoryFor(transport), "demo", model::ClusterOperation::run, kNoRenewal, "me:1:aa");
        REQUIRE_FALSE(lease);
        CHECK(lease.error().code == ErrorCode::conflict);
        CHECK(lease.error().message.find("other:99:bb, heal") != std::string::npos);
        CHECK(transport->requestsTo("GET", "/v1.41/services/h1").size() == 2);
        CHECK(transport->requestsTo("POST", "/v1.41/services/h1/update").size() == 1);
    }
    SECTION("something else changed it: taken at the new version") {
        auto transport = engineWithHead(5, "");
        transport->expectJson("POST", "/v1.41/services/h1/update", 500, kOutOfSequence);
        transport->expectJson("GET", "/v1.41/services/h1", 200, headJson(6, ""));
        transport->expectJson("POST", "/v1.41/services/h1/update", 200, R"({"Warnings":null})");
        auto lease = ClusterLease::take(factoryFor(transport), "demo", model::ClusterOperation::run, kNoRenewal, "me:1:aa");
        REQUIRE(lease);
        auto posts = transport->requestsTo("POST", "/v1.41/services/h1/update");
        REQUIRE(posts.size() == 2);
        CHECK(posts[1].target.find("version=6") != std::string::npos);
        transport->expectJson("GET", "/v1.41/services/h1", 200, headJson(7, encodeLeaseRecord(*sentLease(posts[1]))));
        transport->expectJson("POST", "/v1.41/services/h1/update", 200, R"({"Warnings":null})");
    }
}

TEST_CASE("a cluster without a head service gives a lease that holds nothing", "[cluster][lease]") {
    auto transport = std::make_shared<FakeTransport>();
    transport->expect("GET", "/_ping", testing::pingReply("1.41"));
    transport->expectJson("GET", "/v1.41/services", 200, "[]");
    auto lease = ClusterLease::take(factoryFor(transport), "demo", model::ClusterOperation::up, kNoRenewal, "me:1:aa");
    REQUIRE(lease);
    CHECK_FALSE((*lease)->held());
    lease->reset();
    CHECK(transport->requestsTo("POST", "/v1.41/services").empty());
}

TEST_CASE("a heal is left to another ppcsd that heals or healed since the loss, not otherwise", "[cluster][lease]") {
    std::int64_t noticed = unixMillisNow();
    auto healedBy = [noticed](const std::string& lease) {
        auto transport = std::make_shared<FakeTransport>();
        transport->expect("GET", "/_ping", testing::pingReply("1.41"));
        transport->expectJson("GET", "/v1.41/services", 200, "[" + headJson(5, lease) + "]");
        auto engine = docker::EngineClient::connect(transport);
        REQUIRE(engine);
        return healedByAnother(*engine, "demo", noticed, "me:1:aa");
    };
    CHECK(healedBy(leaseOf("other:99:bb", "heal", noticed + 30000)));  // heals now
    CHECK(healedBy(leaseOf("other:99:bb", "heal", noticed + 5)));      // released after the loss
    CHECK_FALSE(healedBy(leaseOf("other:99:bb", "heal", noticed - 5000)));
    CHECK_FALSE(healedBy(leaseOf("other:99:bb", "run", noticed + 30000)));
    CHECK_FALSE(healedBy(leaseOf("me:1:aa", "heal", noticed + 30000)));
    CHECK_FALSE(healedBy(""));
}

TEST_CASE("operation locks refuse in process first, then by another ppcsd's lease", "[cluster][lease]") {
    auto transport = engineWithHead(5, leaseOf("other:99:bb", "bench", unixMillisNow() + 20000));
    // Read twice more: by the lock, to see whether the other ppcsd heals (it would wait for that),
    // and by busyWith.
    for (int read = 0; read < 2; ++read)
        transport->expectJson("GET", "/v1.41/services", 200,
                              "[" + headJson(5, leaseOf("other:99:bb", "bench", unixMillisNow() + 20000)) + "]");
    OperationLocks locks(factoryFor(transport), kNoRenewal);
    auto refused = locks.acquire("demo", model::ClusterOperation::scale);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().message.find("other:99:bb, bench") != std::string::npos);
    // Refused by the lease, the in-process lock is free again; busyWith sees the other ppcsd's operation.
    CHECK(locks.busyWith("demo") == std::optional<model::ClusterOperation>(model::ClusterOperation::bench));

    OperationLocks local;
    auto held = local.acquire("demo", model::ClusterOperation::run);
    REQUIRE(held);
    auto second = local.acquire("demo", model::ClusterOperation::scale);
    REQUIRE_FALSE(second);
    CHECK(second.error().message.find("busy with another request (run)") != std::string::npos);
}

TEST_CASE("a job waits for another ppcsd's heal to write its hostfile, and is refused by anything else", "[cluster][lease]") {
    std::int64_t now = unixMillisNow();
    auto healing = leaseOf("other:99:bb", "heal", now + 20000);
    auto released = leaseOf("other:99:bb", "heal", now - 1);
    auto transport = engineWithHead(5, healing);                                              // the first try: refused
    transport->expectJson("GET", "/v1.41/services", 200, "[" + headJson(5, healing) + "]");   // what the other one does: heal
    transport->expectJson("GET", "/v1.41/services", 200, "[" + headJson(6, released) + "]");  // the second try
    transport->expectJson("GET", "/v1.41/services/h1", 200, headJson(6, released));
    transport->expectJson("POST", "/v1.41/services/h1/update", 200, R"({"Warnings":null})");
    transport->expectJson("GET", "/v1.41/services/h1", 200,
                          headJson(7, leaseOf(leaseOwnerId(), "run", now + 30000)));  // the release
    transport->expectJson("POST", "/v1.41/services/h1/update", 200, R"({"Warnings":null})");
    OperationLocks locks(factoryFor(transport), kNoRenewal);
    {
        auto job = locks.acquire("demo", model::ClusterOperation::run, std::chrono::seconds(5));
        REQUIRE(job);
        auto taken = sentLease(transport->requestsTo("POST", "/v1.41/services/h1/update").at(0));
        REQUIRE(taken);
        CHECK(taken->operation == model::ClusterOperation::run);
    }
    // Another ppcsd's job is no heal: refused at once, whatever the wait allowed.
    auto running = leaseOf("other:99:bb", "run", now + 20000);
    auto busy = engineWithHead(5, running);
    busy->expectJson("GET", "/v1.41/services", 200, "[" + headJson(5, running) + "]");
    OperationLocks others(factoryFor(busy), kNoRenewal);
    auto started = std::chrono::steady_clock::now();
    auto refused = others.acquire("demo", model::ClusterOperation::run, std::chrono::seconds(5));
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == ErrorCode::conflict);
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(1));
}
