#include "cluster/subnet.h"

#include <catch2/catch.hpp>

using namespace ppcs;
using namespace ppcs::cluster;

TEST_CASE("an engine network with an IPv6 subnet does not block the choice of an overlay subnet", "[cluster][subnet]") {
    SECTION("IPv6 subnets among the used ones are skipped, IPv4 ones still avoided") {
        auto chosen = chooseSubnet({"fd00:dead:beef::/64", "10.128.0.0/24", "2001:db8::/32", "::1/128"}, 9);
        REQUIRE(chosen);
        CHECK(*chosen == "10.128.1.0/24");
    }
    SECTION("a dual-stack engine whose only subnets are IPv6 gets the first range") {
        auto chosen = chooseSubnet({"fd00::/64"}, 3);
        REQUIRE(chosen);
        CHECK(*chosen == "10.128.0.0/24");
    }
    SECTION("text that is neither IPv4 nor IPv6 is still refused") {
        auto chosen = chooseSubnet({"fd00:zz::/64"}, 3);
        REQUIRE_FALSE(chosen);
        CHECK(chosen.error().code == ErrorCode::usage);
    }
}
