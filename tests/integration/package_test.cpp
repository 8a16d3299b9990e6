// The Debian package end to end: scripts/package makes it from this source tree, apt-get installs
// it (its dependencies come from Debian's mirror) in a fresh Debian 12 container of the project's
// own base image, and what it installed works and is where it belongs: the commands, the man page,
// the bash completion, the systemd user unit, and the node image's context, which the installed
// ppcsd reads from /usr/share/ppcs.

#include <catch2/catch.hpp>
#include <map>
#include <set>

#include "common/files.h"
#include "common/sha256.h"
#include "common/strings.h"
#include "common/tar.h"
#include "image/build_context.h"
#include "integration/support.h"
#include "support/run_process.h"
#include "support/test_paths.h"

using namespace ppcs;
using namespace ppcs::integration;
using ppcs::testing::runProcess;

namespace {

constexpr const char* kInstalledContext = "/usr/share/ppcs/images/openmpi";

// scripts/package (a no-op build when nothing changed) prints the package's path on stdout.
std::string makePackage() {
    auto made = runProcess({ppcs::testing::sourceDir() + "/scripts/package"}, {}, 2400);
    INFO("scripts/package stderr (last part): " << lastPart(made.err));
    REQUIRE(made.exitCode == 0);
    std::string path(trim(made.out));
    INFO("scripts/package printed: " << path);
    CHECK(endsWith(path, std::string("/ppcs-cluster_") + PPCS_VERSION + "_amd64.deb"));
    return path;
}

// The image the node image is built FROM (the project's Debian 12 base, made by debootstrap
// when no registry answers): it exists once the node image does.
std::string debianBaseImage() {
    ensureNodeImage();
    auto context = image::loadBuildContext(ppcs::testing::imageContextDir());
    REQUIRE(context);
    auto base = image::baseImageOf(*context);
    REQUIRE(base);
    return *base;
}

// Runs argv as root in the container; fails the test, with its output, unless it exits 0.
std::string rootRun(docker::EngineClient& engine, const std::string& id, std::vector<std::string> argv) {
    std::string command = join(argv, " ");
    auto outcome = execIn(engine, id, std::move(argv), "root");
    INFO(command << "\nstdout: " << lastPart(outcome.out) << "\nstderr: " << lastPart(outcome.err));
    REQUIRE(outcome.exitCode == 0);
    return outcome.out;
}

// What the host's own ppcs-cluster (built from the same source) prints for args.
std::string cliOutput(std::vector<std::string> args) {
    args.insert(args.begin(), ppcs::testing::cliBinary());
    auto result = runProcess(args, {}, 30);
    REQUIRE(result.exitCode == 0);
    return result.out;
}

std::set<std::string> lines(const std::string& text) {
    std::set<std::string> result;
    for (const auto& line : split(text, '\n'))
        if (!line.empty()) result.insert(line);
    return result;
}

}  // namespace

TEST_CASE(
    "the Debian package installs with apt-get in a fresh Debian 12 and its ppcsd reads the image context from /usr/share/ppcs",
    "[docker]") {
    auto engine = requireEngine();
    std::string deb = makePackage();
    auto bytes = readFile(deb);
    REQUIRE(bytes);
    std::string base = debianBaseImage();

    TestContainers containers(engine);
    std::string id = containers.start(base, {"sleep", "infinity"}, "bridge");
    TarWriter tar;
    REQUIRE(tar.add(TarEntry{TarEntry::Kind::file, baseName(deb), *bytes, 0644}));
    REQUIRE(engine.putArchive(id, "/tmp", tar.finish()));

    // No service starts inside a container (policy-rc.d: "not now"), then apt-get as the README says.
    rootRun(engine, id,
            {"sh", "-c", "printf '#!/bin/sh\\nexit 101\\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d"});
    rootRun(engine, id, {"apt-get", "update", "-qq"});
    rootRun(engine, id,
            {"env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "-qq", "--no-install-recommends",
             "/tmp/" + baseName(deb)});
    CHECK(rootRun(engine, id, {"dpkg-query", "-W", "-f", "${Status} ${Version}", "ppcs-cluster"}) ==
          std::string("install ok installed ") + PPCS_VERSION);
    // Its declared dependencies came with it.
    rootRun(engine, id, {"dpkg-query", "-W", "docker.io", "openssh-client", "debootstrap"});

    // The CLI in /usr/bin starts the ppcsd beside it (no engine in here: it answers anyway).
    std::string version = rootRun(engine, id, {"ppcs-cluster", "version"});
    CHECK(startsWith(version, std::string("ppcs-cluster ") + PPCS_VERSION + "\nppcsd " + PPCS_VERSION + " (protocol "));
    std::string help = rootRun(engine, id, {"ppcs-cluster", "--help"});
    CHECK(help.find("build") != std::string::npos);
    CHECK(help.find("completion") != std::string::npos);

    // The installed ppcsd's default build context is the installed copy, identical to the source's.
    std::string status = rootRun(engine, id, {"ppcs-cluster", "daemon", "status"});
    {
        INFO("daemon status: " << status);
        CHECK(status.find(std::string("\nnode image context ") + kInstalledContext + "\n") != std::string::npos);
    }
    auto source = image::loadBuildContext(ppcs::testing::imageContextDir());
    REQUIRE(source);
    std::set<std::string> sums;
    std::set<std::string> executables;
    for (const auto& entry : source->entries) {
        if (entry.kind != TarEntry::Kind::file) continue;
        sums.insert(sha256Hex(entry.content) + "  " + kInstalledContext + "/" + entry.path);
        if (entry.mode & 0100) executables.insert(entry.path);
    }
    REQUIRE_FALSE(executables.empty());  // entrypoint.sh: the executable bit must survive the package
    CHECK(lines(rootRun(engine, id, {"find", kInstalledContext, "-type", "f", "-exec", "sha256sum", "{}", "+"})) == sums);
    CHECK(lines(rootRun(engine, id, {"find", kInstalledContext, "-type", "f", "-perm", "-u+x", "-printf", "%P\\n"})) ==
          executables);

    // The man page and the completion are what this source's CLI writes; the completion loads.
    CHECK(rootRun(engine, id, {"gzip", "-dc", "/usr/share/man/man1/ppcs-cluster.1.gz"}) == cliOutput({"__manpage"}));
    CHECK(rootRun(engine, id, {"cat", "/usr/share/bash-completion/completions/ppcs-cluster"}) ==
          cliOutput({"completion", "bash"}));
    CHECK(rootRun(engine, id,
                  {"bash", "-c", "source /usr/share/bash-completion/completions/ppcs-cluster && complete -p ppcs-cluster"})
              .find("ppcs-cluster") != std::string::npos);

    std::string unit = rootRun(engine, id, {"cat", "/usr/lib/systemd/user/ppcsd.service"});
    CHECK(unit.find("\nExecStart=/usr/bin/ppcsd --state-dir %S/ppcs\n") != std::string::npos);
    rootRun(engine, id, {"test", "-x", "/usr/bin/ppcsd"});
}
