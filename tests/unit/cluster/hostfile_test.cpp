#include "cluster/hostfile.h"

#include <catch2/catch.hpp>

using namespace ppcs;
using namespace ppcs::cluster;

TEST_CASE("hostfile rendering refuses bad entries", "[cluster][hostfile]") {
    struct Case {
        std::vector<HostEntry> entries;
        std::string says;
    };
    std::vector<Case> cases{
        {{{"10.0.0.300", 1, ""}}, "not an IPv4 address"},
        {{{"host; rm -rf /", 1, ""}}, "not an IPv4 address"},
        {{{"", 1, ""}}, "not an IPv4 address"},
        {{{"10.0.0.2", 0, ""}}, "slots for 10.0.0.2 must be from 1"},
        {{{"10.0.0.2", 5000, ""}}, "slots for 10.0.0.2 must be from 1"},
        {{{"10.0.0.2", 1, "a b"}}, "unsafe characters"},
        {{{"10.0.0.2", 1, "x\nslots=9"}}, "unsafe characters"},
        {{{"10.0.0.2", 1, ""}, {"10.0.0.2", 2, ""}}, "listed twice"},
        {{{"10.0.0.2", 1, "n", "xyz"}}, "is not a container ID"},
        {{{"10.0.0.2", 1, "", "abc123"}}, "is not a container ID after a name"},
    };
    for (const auto& c : cases) {
        auto rendered = renderHostfile("demo", c.entries);
        REQUIRE_FALSE(rendered);
        CHECK(rendered.error().code == ErrorCode::usage);
        CHECK(rendered.error().message.find(c.says) != std::string::npos);
    }
}

TEST_CASE("the hostfile keeps the verified container of each member, in its short form", "[cluster][hostfile]") {
    std::string full(64, 'a');
    std::vector<HostEntry> entries{{"10.128.0.2", 2, "demo-head", full}, {"10.128.0.3", 1, "demo-node-1", ""}};
    auto text = renderHostfile("demo", entries);
    REQUIRE(text);
    CHECK(text->find("10.128.0.2 slots=2   # demo-head aaaaaaaaaaaa\n") != std::string::npos);
    CHECK(text->find("10.128.0.3 slots=1   # demo-node-1\n") != std::string::npos);
    auto parsed = parseHostfile(*text);
    REQUIRE(parsed);
    CHECK((*parsed)[0].container == "aaaaaaaaaaaa");
    CHECK((*parsed)[1].container.empty());
    CHECK_FALSE(parseHostfile("10.0.0.2 slots=1 # demo-head not-hex"));
}

TEST_CASE("hostfile parsing refuses what Open MPI would misread", "[cluster][hostfile]") {
    for (std::string bad : {"10.0.0.2 slots=", "10.0.0.2 slots=x", "10.0.0.2 slots=-1", "10.0.0.2 max_slots=2", "nothost slots=1",
                            "10.0.0.2 slots=1\n10.0.0.2 slots=2", "10.0.0.2 slots=99999"}) {
        INFO(bad);
        CHECK_FALSE(parseHostfile(bad));
    }
}

TEST_CASE("the cluster hostfile lists the head first and round-trips", "[cluster][hostfile]") {
    std::vector<HostEntry> entries{
        {"10.128.0.2", 2, "demo-head"}, {"10.128.0.3", 2, "demo-node-1"}, {"10.128.0.4", 4, "demo-node-2"}};
    auto text = renderHostfile("demo", entries);
    REQUIRE(text);
    CHECK(*text ==
          "# ppcs cluster demo: head + 2 nodes, 8 slots (written by ppcsd)\n"
          "10.128.0.2 slots=2   # demo-head\n"
          "10.128.0.3 slots=2   # demo-node-1\n"
          "10.128.0.4 slots=4   # demo-node-2\n");
    auto parsed = parseHostfile(*text);
    REQUIRE(parsed);
    REQUIRE(parsed->size() == 3);
    CHECK((*parsed)[2].address == "10.128.0.4");
    CHECK((*parsed)[2].slots == 4);
    CHECK((*parsed)[2].name == "demo-node-2");
    auto plain = parseHostfile("\n# comment only\n10.1.1.1\n  10.1.1.2   slots=3  \n");
    REQUIRE(plain);
    CHECK(plain->size() == 2);
    CHECK((*plain)[0].slots == 1);
    CHECK((*plain)[1].slots == 3);
}
