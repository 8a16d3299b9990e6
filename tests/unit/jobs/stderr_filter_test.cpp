// Open MPI's setpgid warning is dropped from a job's stderr; everything else passes byte-exact.

#include "jobs/stderr_filter.h"

#include <catch2/catch.hpp>

using ppcs::jobs::StderrNoiseFilter;

namespace {

const std::string kNoise = "plm:rsh: Warning: setpgid(4711,4711) failed in parent with errno=Permission denied(13)\n";
// As a real run printed it: behind opal_output's "[HOST:PID] ".
const std::string kPrefixedNoise =
    "[exp9-head:00203] plm:rsh: Warning: setpgid(216,216) failed in parent with errno=Permission denied(13)\n";

// Bytes that are not text, a NUL among them, and a CR before the newline.
const std::string kBinary("\xff\0 binary\r\n", 11);

// Feeds text in pieces of `size` bytes, then finishes.
std::string filtered(const std::string& text, std::size_t size) {
    StderrNoiseFilter filter;
    std::string out;
    for (std::size_t at = 0; at < text.size(); at += size) out += filter.feed(std::string_view(text).substr(at, size));
    return out + filter.finish();
}

}  // namespace

TEST_CASE("the setpgid warning is recognised only as Open MPI writes it", "[jobs][stderr-filter]") {
    CHECK(StderrNoiseFilter::isNoise(kNoise));
    CHECK(StderrNoiseFilter::isNoise("plm:rsh: Warning: setpgid(1,1) failed in parent with errno=No such process(3)\n"));
    CHECK_FALSE(StderrNoiseFilter::isNoise(kNoise.substr(0, kNoise.size() - 1)));  // not a whole line
    CHECK_FALSE(StderrNoiseFilter::isNoise(" " + kNoise));
    CHECK_FALSE(StderrNoiseFilter::isNoise("plm:rsh: Warning: setpgid(x,1) failed in parent with errno=Permission denied(13)\n"));
    CHECK_FALSE(StderrNoiseFilter::isNoise("plm:rsh: Warning: setpgid(1,1) failed in parent with errno=Permission denied\n"));
    CHECK_FALSE(StderrNoiseFilter::isNoise("plm:rsh: Error: setpgid(0,0) failed in child with errno=Permission denied(13)\n"));
    CHECK_FALSE(
        StderrNoiseFilter::isNoise("plm:rsh: Warning: setpgid(1,1) failed in parent with errno=Permission denied(13) x\n"));
}

TEST_CASE("the warning is recognised behind Open MPI's [HOST:PID] prefix and no other", "[jobs][stderr-filter]") {
    CHECK(StderrNoiseFilter::isNoise(kPrefixedNoise));
    CHECK(StderrNoiseFilter::isNoise("[n:1] " + kNoise));
    CHECK_FALSE(StderrNoiseFilter::isNoise("[n:1]" + kNoise));
    CHECK_FALSE(StderrNoiseFilter::isNoise("[:1] " + kNoise));
    CHECK_FALSE(StderrNoiseFilter::isNoise("[n:] " + kNoise));
    CHECK_FALSE(StderrNoiseFilter::isNoise("[n:1x] " + kNoise));
    CHECK_FALSE(StderrNoiseFilter::isNoise("[a b:1] " + kNoise));
    CHECK_FALSE(StderrNoiseFilter::isNoise("[n:1] [n:1] " + kNoise));
    CHECK_FALSE(StderrNoiseFilter::isNoise("[n:1] rank 0 says hello\n"));
    CHECK_FALSE(StderrNoiseFilter::isNoise("[n:1] \n"));
}

TEST_CASE("the warning is dropped however the stream is cut, every other byte kept in order", "[jobs][stderr-filter]") {
    std::string text = "rank 0: start\n" + kPrefixedNoise + "[n:1] not noise\n" + kNoise +
                       "plm:rsh: Warning: something else\n\n" + kNoise +
                       "plm:rsh: Warning: setpgid(1,1) failed in parent with errno=Permission denied(13) and more\n" + kBinary +
                       kNoise + "no newline at the end";
    std::string expected =
        "rank 0: start\n[n:1] not noise\nplm:rsh: Warning: something else\n\n"
        "plm:rsh: Warning: setpgid(1,1) failed in parent with errno=Permission denied(13) and more\n" +
        kBinary + "no newline at the end";
    for (std::size_t size : {1, 2, 3, 7, 26, 64, 1000}) {
        INFO("pieces of " << size << " bytes");
        CHECK(filtered(text, size) == expected);
    }
}

TEST_CASE("a line that cannot be the warning is passed on before its end", "[jobs][stderr-filter]") {
    StderrNoiseFilter filter;
    CHECK(filter.feed("progress: 10%") == "progress: 10%");
    CHECK(filter.feed(" 20%") == " 20%");
    CHECK(filter.feed("\nplm:rsh: Warn") == "\n");  // may still become the warning: held
    CHECK(filter.feed("ing: setpgid(9") == "");
    CHECK(filter.feed("x") == "plm:rsh: Warning: setpgid(9x");  // no longer can
    CHECK(filter.feed("\n") == "\n");
    CHECK(filter.finish().empty());
}

TEST_CASE("a held line is passed on at the end of the stream and when it grows too long", "[jobs][stderr-filter]") {
    StderrNoiseFilter unfinished;
    CHECK(unfinished.feed("plm:rsh: Warning: setpgid(1,1) failed") == "");
    CHECK(unfinished.finish() == "plm:rsh: Warning: setpgid(1,1) failed");

    StderrNoiseFilter longLine;
    std::string start = "plm:rsh: Warning: setpgid(1,1) failed in parent with errno=";
    std::string filler(StderrNoiseFilter::kMostHeldBytes, 'e');
    std::string out = longLine.feed(start) + longLine.feed(filler);
    CHECK(out == start + filler);
    CHECK(longLine.feed("(13)\n") == "(13)\n");
}
