// `ppcs-cluster build` end to end: the real CLI, a real ppcsd it starts, the real engine.

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>

#include "integration/support.h"
#include "support/run_process.h"
#include "support/test_paths.h"

using namespace ppcs;
using namespace ppcs::integration;
using ppcs::testing::runProcess;

TEST_CASE("build makes the node image, and an unchanged context is a no-op", "[docker]") {
    auto engine = requireEngine();
    TestDaemonDir state;
    std::map<std::string, std::string> env{{"PPCS_STATE_DIR", state.path()}};
    auto first = runProcess({ppcs::testing::cliBinary(), "--json", "build"}, env, 2400);
    INFO(lastPart(first.err, 3000));
    REQUIRE(first.exitCode == 0);
    auto firstJson = nlohmann::json::parse(first.out);
    std::string imageId = firstJson["image_id"];
    CHECK(imageId.rfind("sha256:", 0) == 0);

    auto second = runProcess({ppcs::testing::cliBinary(), "--json", "build"}, env, 60);
    REQUIRE(second.exitCode == 0);
    auto secondJson = nlohmann::json::parse(second.out);
    CHECK(secondJson["reused"] == true);
    CHECK(secondJson["image_id"] == imageId);

    auto image = engine.inspectImage("ppcs-openmpi:latest");
    REQUIRE(image);
    REQUIRE(image->has_value());
    CHECK((*image)->id == imageId);
    CHECK((*image)->labels.at("ppcs.context-hash") == secondJson["context_hash"]);

    // The CLI started ppcsd by itself; its token is private.
    auto status = runProcess({ppcs::testing::cliBinary(), "daemon", "status"}, env, 30);
    CHECK(status.exitCode == 0);
    CHECK(status.out.find("docker engine unix://") != std::string::npos);
    // A source build reads the node image's context from the source tree.
    CHECK(status.out.find("node image context " + ppcs::testing::imageContextDir() + "\n") != std::string::npos);
    struct stat info {};
    REQUIRE(::stat((state.path() + "/token").c_str(), &info) == 0);
    CHECK((info.st_mode & 0777) == 0600);
}

TEST_CASE("a failing RUN step fails the build with its message and tags nothing", "[docker]") {
    auto engine = requireEngine();
    ensureNodeImage();  // the base image exists from here on
    TestDaemonDir state;
    char pattern[] = "/tmp/ppcs-it-context-XXXXXX";
    std::string context = ::mkdtemp(pattern);
    std::ofstream(context + "/Dockerfile") << "FROM debian:bookworm-slim\nRUN echo about-to-fail && exit 3\n";
    std::string tag = runId() + "-failing:test";
    auto result = runProcess({ppcs::testing::cliBinary(), "build", "--context", context, "--image", tag},
                             {{"PPCS_STATE_DIR", state.path()}}, 300);
    std::system(("rm -rf " + context).c_str());
    CHECK(result.exitCode == 1);
    CHECK(result.err.find("about-to-fail") != std::string::npos);
    std::string last = lastLine(result.err);
    CHECK(last ==
          "ppcs-cluster: build image " + tag +
              ": POST /build: engine 200 with an error in the stream: The command '/bin/sh -c echo about-to-fail && exit 3' "
              "returned a non-zero code: 3\n");
    auto tagged = engine.inspectImage(tag);
    REQUIRE(tagged);
    CHECK_FALSE(tagged->has_value());
}

TEST_CASE("without an engine, build names the cause in one line", "[docker]") {
    TestDaemonDir state;
    auto result = runProcess({ppcs::testing::cliBinary(), "build"},
                             {{"PPCS_STATE_DIR", state.path()}, {"DOCKER_HOST", "unix:///nonexistent/ppcs/docker.sock"}}, 60);
    CHECK(result.exitCode == 1);
    CHECK(result.err ==
          "ppcs-cluster: build image ppcs-openmpi:latest: GET /_ping: cannot reach the docker engine at "
          "unix:///nonexistent/ppcs/docker.sock: No such file or directory (is dockerd running?)\n");
}
