// The streaming tar reader: archives fed in every split, PAX and GNU long names, links reported
// as such, and damaged or truncated archives refused.
#include "common/tar_reader.h"

#include <catch2/catch.hpp>
#include <cstdio>

#include "common/tar.h"
#include "support/engine_bytes.h"

using namespace ppcs;

namespace {

struct Seen {
    std::vector<TarStreamEntry> entries;
    std::vector<std::string> contents;
    int ends = 0;
};

TarStreamReader readerInto(Seen& seen) {
    return TarStreamReader({[&seen](const TarStreamEntry& entry) {
                                seen.entries.push_back(entry);
                                seen.contents.emplace_back();
                                return Status();
                            },
                            [&seen](std::string_view piece) {
                                seen.contents.back().append(piece);
                                return Status();
                            },
                            [&seen] {
                                ++seen.ends;
                                return Status();
                            }});
}

std::string header(const std::string& path, char typeflag, std::uint64_t size, const std::string& link = "") {
    return testing::tarHeaderBlock(path, typeflag, size, link);
}

std::string padded(const std::string& content) { return content + std::string(tarPadding(content.size()), '\0'); }

std::string paxRecord(const std::string& key, const std::string& value) {
    std::string body = " " + key + "=" + value + "\n";
    std::size_t length = body.size() + 1;
    while (std::to_string(length).size() + body.size() != length) ++length;
    return std::to_string(length) + body;
}

}  // namespace

TEST_CASE("tar stream: an archive fed one byte at a time or whole gives the same entries", "[common]") {
    TarWriter writer;
    REQUIRE(writer.add({TarEntry::Kind::directory, "data", "", 0755, 1000, 1000}));
    REQUIRE(writer.add({TarEntry::Kind::file, "data/a.txt", "hello\n", 0644, 1000, 1000}));
    REQUIRE(writer.add({TarEntry::Kind::file, "data/empty", "", 0600, 1000, 1000}));
    REQUIRE(writer.add({TarEntry::Kind::file, "data/big", std::string(1500, 'x'), 0755, 1000, 1000}));
    std::string archive = writer.finish();
    for (std::size_t step : {std::size_t(1), std::size_t(7), std::size_t(512), archive.size()}) {
        Seen seen;
        auto reader = readerInto(seen);
        for (std::size_t at = 0; at < archive.size(); at += step)
            REQUIRE(reader.feed(std::string_view(archive).substr(at, step)));
        REQUIRE(reader.finish());
        REQUIRE(seen.entries.size() == 4);
        CHECK(seen.entries[0].kind == TarStreamEntry::Kind::directory);
        CHECK(seen.entries[1].path == "data/a.txt");
        CHECK(seen.contents[1] == "hello\n");
        CHECK(seen.contents[2].empty());
        CHECK(seen.entries[2].mode == 0600);
        CHECK(seen.contents[3] == std::string(1500, 'x'));
        CHECK(seen.entries[3].size == 1500);
        CHECK(seen.ends == 4);
    }
}

TEST_CASE("tar stream: PAX path and size, GNU long names and links come through", "[common]") {
    std::string longName = "deep/" + std::string(180, 'n') + "/file.txt";
    std::string pax = paxRecord("path", longName) + paxRecord("mtime", "1.5");
    std::string archive = header("PaxHeaders/x", 'x', pax.size()) + padded(pax) + header("short", '0', 3) + padded("abc");
    std::string gnu = std::string(150, 'g') + '\0';
    archive += header("././@LongLink", 'L', gnu.size()) + padded(gnu) + header("cut", '0', 0);
    archive += header("link", '2', 0, "/etc/passwd") + header("hard", '1', 0, "short");
    archive += std::string(1024, '\0');
    Seen seen;
    auto reader = readerInto(seen);
    REQUIRE(reader.feed(archive));
    REQUIRE(reader.finish());
    REQUIRE(seen.entries.size() == 4);
    CHECK(seen.entries[0].path == longName);
    CHECK(seen.contents[0] == "abc");
    CHECK(seen.entries[1].path == std::string(150, 'g'));
    CHECK(seen.entries[2].kind == TarStreamEntry::Kind::symlink);
    CHECK(seen.entries[2].linkTarget == "/etc/passwd");
    CHECK(seen.entries[3].kind == TarStreamEntry::Kind::hardlink);
}

TEST_CASE("tar stream: damaged, truncated and hostile archives are refused", "[common]") {
    TarWriter writer;
    REQUIRE(writer.add({TarEntry::Kind::file, "a", "content", 0644, 0, 0}));
    std::string archive = writer.finish();
    SECTION("a flipped byte in a header") {
        archive[3] ^= 1;
        Seen seen;
        auto reader = readerInto(seen);
        auto fed = reader.feed(archive);
        REQUIRE_FALSE(fed);
        CHECK(fed.error().message.find("checksum") != std::string::npos);
        CHECK_FALSE(reader.feed("more"));  // the error stays
    }
    SECTION("cut in the middle of the content") {
        Seen seen;
        auto reader = readerInto(seen);
        REQUIRE(reader.feed(archive.substr(0, 515)));
        auto finished = reader.finish();
        REQUIRE_FALSE(finished);
        CHECK(finished.error().message.find("ended early") != std::string::npos);
    }
    SECTION("an extended header too large to hold") {
        Seen seen;
        auto reader = readerInto(seen);
        auto fed = reader.feed(header("huge", 'x', kMaxTarExtendedHeader + 1));
        REQUIRE_FALSE(fed);
        CHECK(fed.error().message.find("over the limit") != std::string::npos);
    }
    SECTION("a malformed PAX record") {
        std::string pax = "99 path=x\n";
        Seen seen;
        auto reader = readerInto(seen);
        CHECK_FALSE(reader.feed(header("p", 'x', pax.size()) + padded(pax)));
    }
    SECTION("a handler's error stops the reading") {
        auto reader =
            TarStreamReader({[](const TarStreamEntry&) { return Status(makeError(ErrorCode::usage, "refused by the reader")); },
                             [](std::string_view) { return Status(); }, [] { return Status(); }});
        auto fed = reader.feed(archive);
        REQUIRE_FALSE(fed);
        CHECK(fed.error().message == "refused by the reader");
    }
}
