// The shared folder's files on the in-memory engine: how they are installed through the head.

#include "cluster/readiness.h"

#include <atomic>
#include <catch2/catch.hpp>

#include "support/fake_cluster.h"

using namespace ppcs;
using namespace ppcs::cluster;
using ppcs::testing::FakeClusterHost;

TEST_CASE("two writers of the shared files at once each install their own", "[cluster][readiness][heal]") {
    // Two ppcsd healing one cluster both write its settings: one's upload may land between the
    // other's upload and its rename.
    FakeClusterHost host;
    auto status = host.up("demo", 1);
    REQUIRE(status);
    const std::string head = status->members.front().containerId;
    std::atomic<bool> interleaved{false};
    host.engine->onExec([&](const ppcs::testing::ExecCall& call) -> std::optional<docker::ExecOutcome> {
        if (call.spec.cmd.size() > 3 && call.spec.cmd[3] == "ppcs-install" && !interleaved.exchange(true)) {
            auto other = writeSharedFiles(*host.engine, head, {{TarEntry::Kind::file, "hostfile", "second\n", 0644}});
            CHECK(other);
        }
        return std::nullopt;
    });
    auto first = writeSharedFiles(*host.engine, head, {{TarEntry::Kind::file, "hostfile", "first\n", 0644}});
    REQUIRE(interleaved);
    CHECK(first);
    // The later rename wins, whole.
    CHECK(readHostfile(*host.engine, head).value() == "first\n");
}

TEST_CASE("a write that expects what it read installs nothing once another writer changed that file", "[cluster][readiness]") {
    FakeClusterHost host;
    auto status = host.up("demo", 1);
    REQUIRE(status);
    const std::string head = status->members.front().containerId;
    const std::string knownHosts = std::string(kSharedDir) + "/.ppcs/known_hosts";
    auto keysBefore = host.engine->file(knownHosts);
    REQUIRE(writeSharedFiles(*host.engine, head, {{TarEntry::Kind::file, "hostfile", "one\n", 0644}}));

    auto refused = writeSharedFiles(
        *host.engine, head,
        {{TarEntry::Kind::file, "hostfile", "two\n", 0644}, {TarEntry::Kind::file, ".ppcs/known_hosts", "keys\n", 0644}},
        UnchangedSince{"hostfile", "stale\n"});
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == ErrorCode::conflict);
    CHECK(refused.error().message.find("hostfile changed since it was read") != std::string::npos);
    CHECK(readHostfile(*host.engine, head).value() == "one\n");
    CHECK(host.engine->file(knownHosts) == keysBefore);

    CHECK(writeSharedFiles(*host.engine, head, {{TarEntry::Kind::file, "hostfile", "two\n", 0644}},
                           UnchangedSince{"hostfile", "one\n"}));
    CHECK(readHostfile(*host.engine, head).value() == "two\n");
    // A file that does not exist yet reads as empty.
    CHECK(writeSharedFiles(*host.engine, head, {{TarEntry::Kind::file, "notes", "first\n", 0644}}, UnchangedSince{"notes", ""}));
    CHECK(host.engine->file(std::string(kSharedDir) + "/notes") == std::optional<std::string>("first\n"));
}
