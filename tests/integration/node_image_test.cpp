// The node image, checked inside real containers: accounts, sshd, host keys, MPI examples.

#include <catch2/catch.hpp>
#include <regex>
#include <set>
#include <sstream>

#include "common/strings.h"
#include "integration/support.h"

using namespace ppcs;
using namespace ppcs::integration;

namespace {

std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    for (auto& line : split(std::string(trim(text)), '\n'))
        if (!line.empty()) out.push_back(line);
    return out;
}

}  // namespace

TEST_CASE("mpiuser has no password and no sudo", "[docker]") {
    auto engine = requireEngine();
    TestContainers containers(engine);
    auto id = containers.start(ensureNodeImage());
    auto shadow = execIn(engine, id, {"getent", "shadow", "mpiuser"}, "root");
    REQUIRE(shadow.exitCode == 0);
    auto fields = split(shadow.out, ':');
    REQUIRE(fields.size() > 2);
    CHECK((fields[1] == "*" || startsWith(fields[1], "!")));
    CHECK(execIn(engine, id, {"id", "-u", "mpiuser"}).out == "1000\n");
    CHECK(execIn(engine, id, {"id", "-Gn", "mpiuser"}).out == "mpiuser\n");
    CHECK(execIn(engine, id, {"sh", "-c", "command -v sudo su-to-root doas"}).out.empty());
    CHECK(execIn(engine, id, {"su", "-c", "true", "root"}).exitCode != 0);
    CHECK(execIn(engine, id, {"stat", "-c", "%U %a", "/usr/local/var/mpishare"}).out == "mpiuser 755\n");
}

TEST_CASE("sshd refuses passwords and root, and offers only public keys", "[docker]") {
    auto engine = requireEngine();
    TestContainers containers(engine);
    auto id = containers.startNode(ensureNodeImage());
    auto config = execIn(engine, id, {"/usr/sbin/sshd", "-T"}, "root");
    REQUIRE(config.exitCode == 0);
    CHECK(config.out.find("\npasswordauthentication no\n") != std::string::npos);
    CHECK(config.out.find("\npermitrootlogin no\n") != std::string::npos);
    CHECK(config.out.find("\nkbdinteractiveauthentication no\n") != std::string::npos);
    // A real login attempt over loopback: the server offers nothing but publickey.
    std::vector<std::string> ssh{"ssh",
                                 "-o",
                                 "BatchMode=yes",
                                 "-o",
                                 "StrictHostKeyChecking=no",
                                 "-o",
                                 "UserKnownHostsFile=/dev/null",
                                 "-o",
                                 "PreferredAuthentications=password,keyboard-interactive",
                                 "-o",
                                 "ConnectTimeout=10",
                                 "mpiuser@127.0.0.1",
                                 "true"};
    auto attempt = execIn(engine, id, ssh);
    CHECK(attempt.exitCode == 255);
    CHECK(attempt.err.find("Permission denied (publickey)") != std::string::npos);
}

TEST_CASE("every container makes its own host keys", "[docker]") {
    auto engine = requireEngine();
    TestContainers containers(engine);
    std::string image = ensureNodeImage();
    auto first = containers.startNode(image);
    auto second = containers.startNode(image);
    std::vector<std::string> fingerprint{"ssh-keygen", "-lf", "/etc/ssh/ssh_host_ed25519_key.pub"};
    std::string a = execIn(engine, first, fingerprint).out;
    std::string b = execIn(engine, second, fingerprint).out;
    REQUIRE_FALSE(a.empty());
    REQUIRE_FALSE(b.empty());
    CHECK(a != b);
}

TEST_CASE("mpirun -n 2 runs each example correctly", "[docker]") {
    auto engine = requireEngine();
    TestContainers containers(engine);
    auto id = containers.start(ensureNodeImage());
    auto mpirun = [&](std::vector<std::string> program, int ranks) {
        std::vector<std::string> argv{"mpirun", "-n", std::to_string(ranks)};
        argv.insert(argv.end(), program.begin(), program.end());
        auto outcome = execIn(engine, id, argv);
        INFO("stderr: " << outcome.err);
        REQUIRE(outcome.exitCode == 0);
        return outcome.out;
    };

    SECTION("hello_world: one line per rank") {
        auto hello = lines(mpirun({"hello_world"}, 2));
        std::set<std::string> expected{"hello from rank 0 of 2 on ", "hello from rank 1 of 2 on "};
        std::set<std::string> seen;
        for (const auto& line : hello) seen.insert(line.substr(0, line.find(" on ") + 4));
        CHECK(hello.size() == 2);
        CHECK(seen == expected);
    }
    SECTION("any_source: every other rank heard from exactly once") {
        auto output = lines(mpirun({"any_source"}, 2));
        CHECK(output == std::vector<std::string>{"received 1 from rank 1", "any_source: ok, 1 messages from 1 ranks"});
    }
    SECTION("pingpong: OSU-style rows with positive figures") {
        auto output = lines(mpirun({"pingpong", "--max-size", "4096", "--iterations", "20"}, 2));
        REQUIRE(output.size() == 2 + 13);
        CHECK(startsWith(output[0], "# pingpong: rank 0 on "));
        CHECK(output[1] == "# size(B) latency(us) bandwidth(MB/s) bibw(MB/s)");
        long expectedSize = 1;
        for (std::size_t i = 2; i < output.size(); ++i, expectedSize *= 2) {
            std::istringstream row(output[i]);
            long size = 0;
            double latency = 0, bandwidth = 0, bibw = 0;
            row >> size >> latency >> bandwidth >> bibw;
            INFO(output[i]);
            CHECK(size == expectedSize);
            CHECK(latency > 0);
            CHECK(bandwidth > 0);
            CHECK(bibw > 0);
        }
    }
    SECTION("allgather_matvec: verified against a serial product") {
        auto output = lines(mpirun({"allgather_matvec", "--size", "301", "--repeat", "2"}, 2));
        REQUIRE(output.size() == 1);
        CHECK(std::regex_match(
            output[0],
            std::regex(
                R"(allgather_matvec: n=301 ranks=2 repeat=2 time_per_iteration_ms=[0-9.]+ max_error=[0-9.e+-]+ verified)")));
    }
}

TEST_CASE("any_source with one rank refuses clearly", "[docker]") {
    auto engine = requireEngine();
    TestContainers containers(engine);
    auto id = containers.start(ensureNodeImage());
    auto outcome = execIn(engine, id, {"mpirun", "-n", "1", "any_source"});
    CHECK(outcome.exitCode != 0);
    CHECK(outcome.err.find("any_source: needs at least 2 ranks, got 1") != std::string::npos);
}
