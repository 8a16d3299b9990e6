#include "docker/exec_demux.h"

#include <catch2/catch.hpp>
#include <random>

#include "common/files.h"
#include "support/test_paths.h"

using namespace ppcs;
using namespace ppcs::docker;

namespace {

// What the recorded command printed:
//   echo hello-out; echo hello-err >&2; seq 1 3000; echo done-err >&2; exit 7
std::string expectedOut() {
    std::string out = "hello-out\n";
    for (int i = 1; i <= 3000; ++i) out += std::to_string(i) + "\n";
    return out;
}

struct Collected {
    std::string out;
    std::string err;
    OutputSink sink() {
        return [this](OutputStream which, std::string_view piece) {
            (which == OutputStream::out ? out : err).append(piece);
            return true;
        };
    }
};

std::string recordedStream() { return *readFile(testing::dataFile("exec_stream_exit7.bin")); }

}  // namespace

TEST_CASE("demuxes a stream recorded from a real engine", "[docker][demux]") {
    std::string bytes = recordedStream();
    REQUIRE(bytes.size() > 1000);
    Collected collected;
    ExecDemuxer demuxer;
    auto fed = demuxer.feed(bytes, collected.sink());
    REQUIRE(fed);
    CHECK(*fed);
    CHECK(demuxer.atFrameBoundary());
    CHECK(collected.out == expectedOut());
    CHECK(collected.err == "hello-err\ndone-err\n");
}

TEST_CASE("demuxes the same bytes split anywhere, even inside headers", "[docker][demux]") {
    std::string bytes = recordedStream();
    SECTION("one byte at a time") {
        Collected collected;
        ExecDemuxer demuxer;
        for (char c : bytes) REQUIRE(demuxer.feed(std::string_view(&c, 1), collected.sink()));
        CHECK(collected.out == expectedOut());
        CHECK(collected.err == "hello-err\ndone-err\n");
    }
    SECTION("random splits") {
        std::mt19937 random(12345);
        for (int round = 0; round < 20; ++round) {
            Collected collected;
            ExecDemuxer demuxer;
            std::size_t offset = 0;
            while (offset < bytes.size()) {
                std::size_t take = std::min<std::size_t>(bytes.size() - offset, 1 + random() % 23);
                REQUIRE(demuxer.feed(std::string_view(bytes).substr(offset, take), collected.sink()));
                offset += take;
            }
            CHECK(collected.out == expectedOut());
            CHECK(demuxer.atFrameBoundary());
        }
    }
}

TEST_CASE("a cut stream is noticed as mid-frame", "[docker][demux]") {
    std::string bytes = recordedStream();
    Collected collected;
    ExecDemuxer demuxer;
    REQUIRE(demuxer.feed(std::string_view(bytes).substr(0, 13), collected.sink()));
    CHECK_FALSE(demuxer.atFrameBoundary());
    CHECK(collected.out == "hello");
}

TEST_CASE("a stream that is not multiplexed is refused", "[docker][demux]") {
    Collected collected;
    ExecDemuxer demuxer;
    auto fed = demuxer.feed("hello world, this is a tty stream\n", collected.sink());
    REQUIRE_FALSE(fed);
    CHECK(fed.error().message.find("bad frame header") != std::string::npos);
    ExecDemuxer second;
    std::string badStream("\x07\x00\x00\x00\x00\x00\x00\x01x", 9);
    CHECK_FALSE(second.feed(badStream, collected.sink()));
}

TEST_CASE("the sink can stop the stream", "[docker][demux]") {
    ExecDemuxer demuxer;
    int calls = 0;
    auto fed = demuxer.feed(recordedStream(), [&calls](OutputStream, std::string_view) { return ++calls < 2; });
    REQUIRE(fed);
    CHECK_FALSE(*fed);
    CHECK(calls == 2);
}
