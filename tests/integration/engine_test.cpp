// The engine client against the real engine: containers, archive upload, exec, import.

#include <catch2/catch.hpp>

#include "common/tar.h"
#include "integration/support.h"

using namespace ppcs;
using namespace ppcs::integration;

TEST_CASE("exec output is demultiplexed and its exit code read", "[docker]") {
    auto engine = requireEngine();
    std::string image = ensureNodeImage();
    TestContainers containers(engine);
    auto id = containers.start(image, {"sleep", "600"});
    auto outcome = execIn(engine, id, {"sh", "-c", "echo to-out; echo to-err >&2; seq 1 2000 | tail -1; exit 5"});
    CHECK(outcome.exitCode == 5);
    CHECK(outcome.out == "to-out\n2000\n");
    CHECK(outcome.err == "to-err\n");
}

TEST_CASE("arguments reach the process verbatim, never through a shell", "[docker]") {
    auto engine = requireEngine();
    TestContainers containers(engine);
    auto id = containers.start(ensureNodeImage(), {"sleep", "600"});
    std::vector<std::string> tricky{"two words", "it's \"quoted\"", "a;b", "$(touch /tmp/pwned)", "`id`", "*", "\\n"};
    std::vector<std::string> argv{"printf", "[%s]\\n"};
    argv.insert(argv.end(), tricky.begin(), tricky.end());
    auto outcome = execIn(engine, id, argv);
    std::string expected;
    for (const auto& word : tricky) expected += "[" + word + "]\n";
    CHECK(outcome.out == expected);
    CHECK(execIn(engine, id, {"test", "-e", "/tmp/pwned"}).exitCode == 1);
}

TEST_CASE("an archive uploaded into a container keeps contents, modes and owners", "[docker]") {
    auto engine = requireEngine();
    TestContainers containers(engine);
    auto id = containers.start(ensureNodeImage(), {"sleep", "600"});
    TarWriter tar;
    REQUIRE(tar.add({TarEntry::Kind::directory, "job", "", 0755, 1000, 1000}));
    REQUIRE(tar.add({TarEntry::Kind::file, "job/run.sh", "#!/bin/sh\necho ran as $(id -un)\n", 0755, 1000, 1000}));
    REQUIRE(engine.putArchive(id, "/usr/local/var/mpishare", tar.finish()));
    auto listing = execIn(engine, id, {"stat", "-c", "%a %U", "/usr/local/var/mpishare/job/run.sh"});
    CHECK(listing.out == "755 mpiuser\n");
    CHECK(execIn(engine, id, {"/usr/local/var/mpishare/job/run.sh"}).out == "ran as mpiuser\n");
    auto missingDir = engine.putArchive(id, "/no/such/dir", TarWriter().finish());
    REQUIRE_FALSE(missingDir);
    CHECK(missingDir.error().message.find("PUT /containers/" + id + "/archive: engine 404") == 0);
}

TEST_CASE("a rootfs tarball is imported as an image with its changes", "[docker]") {
    auto engine = requireEngine();
    TarWriter tar;
    REQUIRE(tar.add({TarEntry::Kind::file, "hello.txt", "imported\n"}));
    std::vector<std::string> progress;
    auto imported = engine.importImage(tar.finish(), runId() + "-import", "v1", {"LABEL ppcs.test=" + runId()},
                                       [&progress](const std::string& line) { progress.push_back(line); });
    REQUIRE(imported);
    CHECK(imported->rfind("sha256:", 0) == 0);
    auto info = engine.inspectImage(runId() + "-import:v1");
    REQUIRE(info);
    REQUIRE(info->has_value());
    CHECK((*info)->id == *imported);
    CHECK((*info)->labels.at("ppcs.test") == runId());
    REQUIRE(engine.removeImage(*imported, true));
    CHECK_FALSE(engine.inspectImage(runId() + "-import:v1")->has_value());
}

TEST_CASE("engine errors name endpoint, status and message", "[docker]") {
    auto engine = requireEngine();
    auto started = engine.startContainer(runId() + "-does-not-exist");
    REQUIRE_FALSE(started);
    CHECK(started.error().code == ErrorCode::notFound);
    CHECK(started.error().message.find("POST /containers/" + runId() + "-does-not-exist/start: engine 404: ") == 0);
}
