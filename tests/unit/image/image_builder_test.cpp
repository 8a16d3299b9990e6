#include "image/image_builder.h"

#include <catch2/catch.hpp>

#include "image/build_context.h"
#include "support/fake_process_runner.h"
#include "support/fake_transport.h"
#include "support/test_paths.h"

using namespace ppcs;
using namespace ppcs::image;
using ppcs::testing::FakeProcessRunner;
using ppcs::testing::FakeReply;
using ppcs::testing::FakeTransport;

namespace {

struct Harness {
    std::shared_ptr<FakeTransport> transport = std::make_shared<FakeTransport>();
    FakeProcessRunner runner;
    std::vector<std::string> progress;

    docker::EngineClient engine() {
        transport->expect("GET", "/_ping", ppcs::testing::pingReply("1.41"));
        return *docker::EngineClient::connect(transport);
    }
    BuildProgress sink() {
        return [this](model::Phase phase, const std::string& text) {
            progress.push_back(std::string(model::phaseName(phase)) + ": " + text);
        };
    }
    BuildRequest request() {
        BuildRequest request;
        request.contextDir = ppcs::testing::imageContextDir();
        request.mirror = "http://mirror.test/debian";
        return request;
    }
};

std::string realContextHash() { return contextHash(*loadBuildContext(ppcs::testing::imageContextDir())); }

}  // namespace

TEST_CASE("an image matching its context hash is reused without building", "[image][builder]") {
    Harness harness;
    auto engine = harness.engine();
    harness.transport->expectJson(
        "GET", "/v1.41/images/ppcs-openmpi:latest/json", 200,
        R"({"Id":"sha256:old","Config":{"Labels":{"ppcs.context-hash":")" + realContextHash() + R"("}}})");
    ImageBuilder builder(engine, harness.runner);
    auto outcome = builder.build(harness.request(), harness.sink());
    REQUIRE(outcome);
    CHECK(outcome->reused);
    CHECK(outcome->imageId == "sha256:old");
    CHECK(harness.transport->requestsTo("POST", "/v1.41/build").empty());
    CHECK(harness.runner.calls.empty());
}

TEST_CASE("a failed build leaves no tag behind", "[image][builder]") {
    Harness harness;
    auto engine = harness.engine();
    harness.transport->expectJson("GET", "/v1.41/images/ppcs-openmpi:latest/json", 404, R"({"message":"No such image"})");
    harness.transport->expectJson("GET", "/v1.41/images/debian:bookworm-slim/json", 200, R"({"Id":"sha256:base"})");
    harness.transport->expect(
        "POST", "/v1.41/build",
        FakeReply{
            200, {}, {"{\"stream\":\"Step 2/9 : RUN apt-get install\\n\"}\n{\"error\":\"E: Unable to locate package\"}\n"}});
    ImageBuilder builder(engine, harness.runner);
    auto outcome = builder.build(harness.request(), harness.sink());
    REQUIRE_FALSE(outcome);
    CHECK(outcome.error().message ==
          "build image ppcs-openmpi:latest: POST /build: engine 200 with an error in the stream: E: Unable to locate package");
    for (const auto& request : harness.transport->requests) CHECK(request.target.find("/tag") == std::string::npos);
}

TEST_CASE("a stale image is rebuilt, labelled with the hash, then tagged", "[image][builder]") {
    Harness harness;
    auto engine = harness.engine();
    harness.transport->expectJson("GET", "/v1.41/images/ppcs-openmpi:latest/json", 200,
                                  R"({"Id":"sha256:old","Config":{"Labels":{"ppcs.context-hash":"stale"}}})");
    harness.transport->expectJson("GET", "/v1.41/images/debian:bookworm-slim/json", 200, R"({"Id":"sha256:base"})");
    harness.transport->expect("POST", "/v1.41/build", FakeReply{200, {}, {"{\"stream\":\"Successfully built 1234\\n\"}\n"}});
    harness.transport->expectJson("GET", "/v1.41/images/1234/json", 200, R"({"Id":"sha256:1234full"})");
    harness.transport->expectJson("POST", "/v1.41/images/sha256:1234full/tag", 201, "");
    ImageBuilder builder(engine, harness.runner);
    auto outcome = builder.build(harness.request(), harness.sink());
    REQUIRE(outcome);
    CHECK_FALSE(outcome->reused);
    CHECK(outcome->imageId == "sha256:1234full");
    auto build = harness.transport->requestsTo("POST", "/v1.41/build");
    REQUIRE(build.size() == 1);
    CHECK(build[0].target.find(realContextHash()) != std::string::npos);
    auto tag = harness.transport->requests.back();
    CHECK(tag.target == "/v1.41/images/sha256:1234full/tag?repo=ppcs-openmpi&tag=latest");
}

TEST_CASE("the MPICH image is built from the same context with MPI=mpich, its own hash and tag", "[image][builder][mpi]") {
    Harness harness;
    auto engine = harness.engine();
    // Labelled with the Open MPI image's hash: not the MPICH image's, so it is rebuilt.
    harness.transport->expectJson(
        "GET", "/v1.41/images/ppcs-mpich:latest/json", 200,
        R"({"Id":"sha256:old","Config":{"Labels":{"ppcs.context-hash":")" + realContextHash() + R"("}}})");
    harness.transport->expectJson("GET", "/v1.41/images/debian:bookworm-slim/json", 200, R"({"Id":"sha256:base"})");
    harness.transport->expect("POST", "/v1.41/build", FakeReply{200, {}, {"{\"stream\":\"Successfully built 5678\\n\"}\n"}});
    harness.transport->expectJson("GET", "/v1.41/images/5678/json", 200, R"({"Id":"sha256:5678full"})");
    harness.transport->expectJson("POST", "/v1.41/images/sha256:5678full/tag", 201, "");
    ImageBuilder builder(engine, harness.runner);
    auto request = harness.request();
    request.mpi = model::MpiKind::mpich;
    request.imageRef = model::mpiImageRef(model::MpiKind::mpich);
    auto outcome = builder.build(request, harness.sink());
    REQUIRE(outcome);
    CHECK_FALSE(outcome->reused);
    CHECK(outcome->contextHash == realContextHash() + "+mpi=mpich");
    auto build = harness.transport->requestsTo("POST", "/v1.41/build");
    REQUIRE(build.size() == 1);
    CHECK(build[0].target.find("&buildargs=%7B%22MPI%22%3A%22mpich%22%7D") != std::string::npos);
    CHECK(harness.transport->requests.back().target == "/v1.41/images/sha256:5678full/tag?repo=ppcs-mpich&tag=latest");
}

TEST_CASE("no base image, no registry, no debootstrap: one line naming the cause", "[image][builder]") {
    Harness harness;
    auto engine = harness.engine();
    harness.transport->expectJson("GET", "/v1.41/images/ppcs-openmpi:latest/json", 404, R"({"message":"No such image"})");
    harness.transport->expectJson("GET", "/v1.41/images/debian:bookworm-slim/json", 404, R"({"message":"No such image"})");
    harness.transport->expect(
        "POST", "/v1.41/images/create",
        FakeReply{
            500,
            {},
            {R"({"message":"Get \"https://registry-1.docker.io/v2/\": dial tcp: lookup registry-1.docker.io: no such host"})"}});
    harness.runner.queue(makeError(ErrorCode::notFound, "'debootstrap' is not installed (not found on PATH)"));
    ImageBuilder builder(engine, harness.runner);
    auto outcome = builder.build(harness.request(), harness.sink());
    REQUIRE_FALSE(outcome);
    CHECK(outcome.error().code == ErrorCode::unavailable);
    CHECK(outcome.error().message.find("debootstrap is not installed") != std::string::npos);
    REQUIRE(harness.runner.calls.size() == 1);
    CHECK(harness.runner.calls[0] == std::vector<std::string>{"debootstrap", "--variant=minbase", "bookworm",
                                                              harness.runner.calls[0][3], "http://mirror.test/debian"});
    CHECK(harness.transport->requestsTo("POST", "/v1.41/build").empty());
}

TEST_CASE("an unreachable mirror is named with debootstrap's own words", "[image][builder]") {
    Harness harness;
    auto engine = harness.engine();
    harness.transport->expectJson("GET", "/v1.41/images/ppcs-openmpi:latest/json", 404, R"({"message":"No such image"})");
    harness.transport->expectJson("GET", "/v1.41/images/debian:bookworm-slim/json", 404, R"({"message":"No such image"})");
    image::ProcessOutcome failed;
    failed.exitCode = 1;
    failed.lastLines =
        "I: Retrieving InRelease\nE: Failed getting release file http://mirror.test/debian/dists/bookworm/InRelease\n";
    harness.runner.queue(failed);
    auto request = harness.request();
    request.allowPull = false;
    ImageBuilder builder(engine, harness.runner);
    auto outcome = builder.build(request, harness.sink());
    REQUIRE_FALSE(outcome);
    CHECK(outcome.error().message ==
          "build image ppcs-openmpi:latest: debootstrap from mirror http://mirror.test/debian failed (exit 1): "
          "Failed getting release file http://mirror.test/debian/dists/bookworm/InRelease");
    CHECK(harness.transport->requestsTo("POST", "/v1.41/images/create").empty());
}

TEST_CASE("a debootstrap stopped at its time limit fails the build as a timeout, naming debootstrap", "[image][builder]") {
    Harness harness;
    auto engine = harness.engine();
    harness.transport->expectJson("GET", "/v1.41/images/ppcs-openmpi:latest/json", 404, R"({"message":"No such image"})");
    harness.transport->expectJson("GET", "/v1.41/images/debian:bookworm-slim/json", 404, R"({"message":"No such image"})");
    harness.runner.queue(
        makeError(ErrorCode::timeout, "debootstrap timed out after 1800 s: it and every process it started were stopped"));
    auto request = harness.request();
    request.allowPull = false;
    ImageBuilder builder(engine, harness.runner);
    auto outcome = builder.build(request, harness.sink());
    REQUIRE_FALSE(outcome);
    CHECK(outcome.error().code == ErrorCode::timeout);
    CHECK_THAT(outcome.error().message, Catch::Contains("debootstrap: debootstrap timed out after 1800 s"));
    REQUIRE(harness.runner.calls.size() == 1);
    CHECK(harness.transport->requestsTo("POST", "/v1.41/images/create").empty());
}
