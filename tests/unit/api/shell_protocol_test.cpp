// The shell connection's pieces that need no socket: frames, the request body, the upgrade parse.

#include "api/shell_protocol.h"

#include <catch2/catch.hpp>

#include "api/upgrade_request.h"

using namespace ppcs;
using namespace ppcs::api;

namespace {

std::string header(std::uint8_t type, std::uint32_t length) {
    return std::string{static_cast<char>(type), static_cast<char>(length >> 24), static_cast<char>((length >> 16) & 0xff),
                       static_cast<char>((length >> 8) & 0xff), static_cast<char>(length & 0xff)};
}

}  // namespace

TEST_CASE("frames come out as they went in, whatever the pieces they arrive in", "[api][shell]") {
    std::string stream = encodeFrame(FrameType::input, "ls -l\r") + encodeResizeFrame(101, 33) +
                         encodeFrame(FrameType::inputEnd, "") + encodeFrame(FrameType::output, std::string("\0\x01\xff", 3)) +
                         encodeExitFrame(-2) + encodeFrame(FrameType::failure, "gone");
    CHECK(stream.substr(0, 5) == header(1, 6));
    for (std::size_t step : {std::size_t{1}, std::size_t{2}, std::size_t{7}, stream.size()}) {
        FrameDecoder decoder;
        std::vector<Frame> frames;
        for (std::size_t at = 0; at < stream.size(); at += step) {
            auto got = decoder.feed(std::string_view(stream).substr(at, step));
            REQUIRE(got);
            frames.insert(frames.end(), got->begin(), got->end());
        }
        INFO("step " << step);
        CHECK(decoder.atFrameBoundary());
        REQUIRE(frames.size() == 6);
        CHECK(frames[0].type == FrameType::input);
        CHECK(frames[0].payload == "ls -l\r");
        CHECK(frames[1].type == FrameType::resize);
        CHECK(resizeOf(frames[1]).cols == 101);
        CHECK(resizeOf(frames[1]).rows == 33);
        CHECK(frames[2].type == FrameType::inputEnd);
        CHECK(frames[3].payload == std::string("\0\x01\xff", 3));
        CHECK(exitStatusOf(frames[4]) == -2);
        CHECK(frames[5].payload == "gone");
    }
}

TEST_CASE("a resize is clamped to what two bytes hold", "[api][shell]") {
    FrameDecoder decoder;
    auto frames = decoder.feed(encodeResizeFrame(70000, -5));
    REQUIRE(frames);
    REQUIRE(frames->size() == 1);
    CHECK(resizeOf(frames->front()).cols == 65535);
    CHECK(resizeOf(frames->front()).rows == 0);
}

TEST_CASE("bad frames are refused and truncated ones stay pending", "[api][shell]") {
    SECTION("unknown type") {
        FrameDecoder decoder;
        auto frames = decoder.feed(header(0, 0));
        REQUIRE_FALSE(frames);
        CHECK(frames.error().code == ErrorCode::usage);
        CHECK(frames.error().message == "shell frame of unknown type 0");
        CHECK_FALSE(FrameDecoder().feed(header(8, 1) + "x"));
        CHECK_FALSE(FrameDecoder().feed(header(255, 0)));
    }
    SECTION("a payload over the limit is refused from its header alone") {
        FrameDecoder decoder;
        auto frames = decoder.feed(header(1, kMaxFramePayload + 1));
        REQUIRE_FALSE(frames);
        CHECK(frames.error().message.find("over the limit") != std::string::npos);
        CHECK(FrameDecoder().feed(header(1, kMaxFramePayload)));  // exactly the limit waits for its bytes
    }
    SECTION("fixed-size frames of another size") {
        CHECK_FALSE(FrameDecoder().feed(header(3, 3) + "abc"));
        CHECK_FALSE(FrameDecoder().feed(header(6, 5) + "abcde"));
        CHECK_FALSE(FrameDecoder().feed(header(2, 1) + "x"));
    }
    SECTION("a good frame before a bad one does not make the bad one pass") {
        CHECK_FALSE(FrameDecoder().feed(encodeFrame(FrameType::input, "a") + header(9, 0)));
    }
    SECTION("truncated header and payload") {
        FrameDecoder decoder;
        auto partial = decoder.feed(encodeFrame(FrameType::output, "hello").substr(0, 7));
        REQUIRE(partial);
        CHECK(partial->empty());
        CHECK_FALSE(decoder.atFrameBoundary());
        auto rest = decoder.feed("llo");
        REQUIRE(rest);
        REQUIRE(rest->size() == 1);
        CHECK(rest->front().payload == "hello");
        CHECK(decoder.atFrameBoundary());
        FrameDecoder headerOnly;
        REQUIRE(headerOnly.feed(header(4, 2).substr(0, 3)));
        CHECK_FALSE(headerOnly.atFrameBoundary());
    }
}

TEST_CASE("shell requests are read strictly", "[api][shell]") {
    model::ShellRequest request;
    request.node = 2;
    request.command = {"sh", "-c", "exit 5"};
    request.attachStdin = true;
    request.term = "xterm-256color";
    auto decoded = decodeShellRequest(encodeShellRequest(request), "demo");
    REQUIRE(decoded);
    CHECK(decoded->cluster == "demo");
    CHECK(decoded->node == 2);
    CHECK(decoded->command == request.command);
    CHECK(decoded->attachStdin);
    CHECK_FALSE(decoded->tty);
    CHECK(decoded->term == "xterm-256color");

    CHECK(decodeShellRequest("{}", "demo"));
    for (const char* bad : {"", "[]", "{", R"({"nodes":1})", R"({"node":"1"})", R"({"node":-1})", R"({"node":100000})",
                            R"({"command":"ls"})", R"({"command":[1]})", R"({"command":["a\u0000b"]})", R"({"tty":true})",
                            R"({"tty":true,"stdin":true,"cols":10001})", R"({"term":"x;rm"})", R"({"cols":1.5})"}) {
        INFO(bad);
        auto refused = decodeShellRequest(bad, "demo");
        REQUIRE_FALSE(refused);
        CHECK(refused.error().code == ErrorCode::usage);
    }
    CHECK_FALSE(decodeShellRequest("{}", "Bad Name"));
}

TEST_CASE("an upgrade request is told apart from other requests", "[api][shell]") {
    auto upgrade = parseUpgradeRequest(
        "POST /v1/clusters/demo/shell?x=1 HTTP/1.1\r\nHost: a\r\nUPGRADE:  ppcs-shell/1 \r\n"
        "Authorization: Bearer t\r\n\r\n{\"node\":1}");
    REQUIRE(upgrade);
    CHECK(upgrade->method == "POST");
    CHECK(upgrade->path == "/v1/clusters/demo/shell");
    CHECK(upgrade->headers["upgrade"] == "ppcs-shell/1");
    CHECK(upgrade->headers["authorization"] == "Bearer t");
    CHECK(upgrade->early == "{\"node\":1}");
    CHECK_FALSE(parseUpgradeRequest("GET /v1/version HTTP/1.1\r\nHost: a\r\n\r\n"));
    CHECK_FALSE(parseUpgradeRequest("GET /v1/version HTTP/1.1\r\nUpgrade: x\r\n"));  // no end of headers
    CHECK_FALSE(parseUpgradeRequest("garbage\r\nUpgrade: x\r\n\r\n"));
    CHECK_FALSE(parseUpgradeRequest("POST / HTTP/1.1\r\nno colon here\r\nUpgrade: x\r\n\r\n"));
    CHECK_FALSE(parseUpgradeRequest("POST / FTP/1\r\nUpgrade: x\r\n\r\n"));
}
