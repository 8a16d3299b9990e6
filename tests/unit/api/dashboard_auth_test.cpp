// The dashboard's login codes and sessions (single use, expiry, wrong codes, the bound), and the
// session cookie: how it is read from a Cookie header and what its Set-Cookie says.

#include "api/dashboard_auth.h"

#include <catch2/catch.hpp>

using namespace ppcs;
using namespace ppcs::api;
using namespace std::chrono_literals;

namespace {

// A clock the test moves by hand.
struct ManualClock {
    std::chrono::steady_clock::time_point now = std::chrono::steady_clock::time_point() + 1000h;
    SteadyNow function() {
        return [this] { return now; };
    }
};

}  // namespace

TEST_CASE("a login code is redeemed once, within its lifetime, and a wrong one never", "[dashboard][api]") {
    ManualClock clock;
    ExpiringSecrets codes(120s, 16, clock.function());
    auto code = codes.issue();
    REQUIRE(code);
    CHECK(code->size() == 64);
    auto other = codes.issue();
    REQUIRE(other);
    CHECK(*other != *code);

    CHECK_FALSE(codes.redeem(""));
    CHECK_FALSE(codes.redeem("wrong"));
    std::string almost = *code;
    almost.back() = almost.back() == '0' ? '1' : '0';
    CHECK_FALSE(codes.redeem(almost));
    CHECK_FALSE(codes.redeem(*code + "0"));
    CHECK_FALSE(codes.redeem(code->substr(1)));

    clock.now += 119s;
    CHECK(codes.redeem(*code));
    CHECK_FALSE(codes.redeem(*code));  // single use

    clock.now += 1s;  // the other one, issued at the same time, is now 120 s old
    CHECK_FALSE(codes.redeem(*other));
}

TEST_CASE("a session holds until it expires, and is not used up by being checked", "[dashboard][api]") {
    ManualClock clock;
    ExpiringSecrets sessions(3600s, 4, clock.function());
    auto session = sessions.issue();
    REQUIRE(session);
    CHECK(sessions.holds(*session));
    CHECK(sessions.holds(*session));
    std::string other = *session;
    other[0] = other[0] == '0' ? '1' : '0';
    CHECK_FALSE(sessions.holds(other));
    CHECK_FALSE(sessions.holds(""));
    clock.now += 3599s;
    CHECK(sessions.holds(*session));
    clock.now += 1s;
    CHECK_FALSE(sessions.holds(*session));
}

TEST_CASE("at most `most` secrets are kept: issuing one more drops the oldest", "[dashboard][api]") {
    ManualClock clock;
    ExpiringSecrets codes(120s, 3, clock.function());
    std::vector<std::string> issued;
    for (int i = 0; i < 4; ++i) {
        auto code = codes.issue();
        REQUIRE(code);
        issued.push_back(*code);
    }
    CHECK_FALSE(codes.holds(issued[0]));
    CHECK(codes.redeem(issued[1]));
    CHECK(codes.redeem(issued[2]));
    CHECK(codes.redeem(issued[3]));
}

TEST_CASE("the session cookie is read by its name from a Cookie header, and only a plain token", "[dashboard][api]") {
    CHECK(cookieValue("ppcs_session_8080=abc123", "ppcs_session_8080") == std::optional<std::string>("abc123"));
    CHECK(cookieValue("a=1; ppcs_session_8080=abc; b=2", "ppcs_session_8080") == std::optional<std::string>("abc"));
    CHECK(cookieValue("a=1;ppcs_session_8080 = abc ;b=2", "ppcs_session_8080") == std::optional<std::string>("abc"));
    CHECK(cookieValue("x=\"quoted\"", "x") == std::optional<std::string>("quoted"));
    CHECK(cookieValue("ppcs_session_8081=abc", "ppcs_session_8080") == std::nullopt);    // another ppcsd's
    CHECK(cookieValue("xppcs_session_8080=abc", "ppcs_session_8080") == std::nullopt);   // a longer name
    CHECK(cookieValue("ppcs_session_8080=", "ppcs_session_8080") == std::nullopt);       // empty
    CHECK(cookieValue("ppcs_session_8080", "ppcs_session_8080") == std::nullopt);        // no value
    CHECK(cookieValue("ppcs_session_8080=a b", "ppcs_session_8080") == std::nullopt);    // not a token
    CHECK(cookieValue("ppcs_session_8080=a%00b", "ppcs_session_8080") == std::nullopt);  // not a token
    CHECK(cookieValue("ppcs_session_8080=\"", "ppcs_session_8080") == std::nullopt);     // one quote
    CHECK(cookieValue(";;;=;=x; ;", "ppcs_session_8080") == std::nullopt);               // debris
    CHECK(cookieValue("", "ppcs_session_8080") == std::nullopt);
    CHECK(cookieValue("a=1", "") == std::nullopt);
    std::string huge = "ppcs_session_8080=" + std::string(9000, 'a');
    CHECK(cookieValue(huge, "ppcs_session_8080") == std::nullopt);
    // The first of a repeated name is the one read.
    CHECK(cookieValue("n=first; n=second", "n") == std::optional<std::string>("first"));
    // A malformed one of the name (set by another site on 127.0.0.1) does not hide the good one.
    CHECK(cookieValue("n=a b; n=second", "n") == std::optional<std::string>("second"));
    CHECK(cookieValues("n=first; m=x; n=second; n=", "n") == std::vector<std::string>{"first", "second"});
}

TEST_CASE("the session cookie is HttpOnly, SameSite=Strict, for the whole site, named after the port", "[dashboard][api]") {
    CHECK(sessionCookieName(43127) == "ppcs_session_43127");
    std::string cookie = sessionCookie("ppcs_session_43127", "s3cr3t", 3600s);
    CHECK(cookie.rfind("ppcs_session_43127=s3cr3t; ", 0) == 0);
    CHECK(cookie.find("; HttpOnly") != std::string::npos);
    CHECK(cookie.find("; SameSite=Strict") != std::string::npos);
    CHECK(cookie.find("; Path=/;") != std::string::npos);
    CHECK(cookie.find("; Max-Age=3600") != std::string::npos);
    CHECK(cookie.find("Domain") == std::string::npos);  // this host only
}
