#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <thread>
#include <vector>

#include "common/files.h"
#include "common/parallel.h"
#include "common/result.h"
#include "common/sha256.h"
#include "common/strings.h"
#include "common/tar.h"
#include "common/token.h"

using namespace ppcs;

TEST_CASE("errors gain context from the outside in", "[common]") {
    Error inner = makeError(ErrorCode::conflict, "engine 409: name in use");
    Error outer = inner.context("POST /containers/create").context("start node 3");
    CHECK(outer.code == ErrorCode::conflict);
    CHECK(outer.message == "start node 3: POST /containers/create: engine 409: name in use");
    Result<int> failed = outer;
    CHECK_FALSE(failed.ok());
    CHECK(errorCodeFromName(errorCodeName(ErrorCode::permissionDenied)) == ErrorCode::permissionDenied);
    CHECK_FALSE(errorCodeFromName("no-such-code").has_value());
}

TEST_CASE("sha256 matches the published test vectors", "[common]") {
    CHECK(sha256Hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(sha256Hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    Sha256 incremental;
    for (int i = 0; i < 1000; ++i) incremental.update(std::string(1000, 'a'));
    CHECK(incremental.hexDigest() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("tar archives round-trip and refuse unsafe paths", "[common]") {
    TarWriter writer;
    REQUIRE(writer.add({TarEntry::Kind::directory, "examples", "", 0755, 1000, 1000}));
    REQUIRE(writer.add({TarEntry::Kind::file, "examples/hello.c", "int main(){}\n", 0644, 1000, 1000}));
    std::string longName = std::string(120, 'd') + "/" + std::string(90, 'f');
    REQUIRE(writer.add({TarEntry::Kind::file, longName, std::string(1500, 'x'), 0755, 0, 0}));
    std::string archive = writer.finish();
    CHECK(archive.size() % 512 == 0);
    auto entries = readTar(archive);
    REQUIRE(entries);
    REQUIRE(entries->size() == 3);
    CHECK((*entries)[0].kind == TarEntry::Kind::directory);
    CHECK((*entries)[1].path == "examples/hello.c");
    CHECK((*entries)[1].content == "int main(){}\n");
    CHECK((*entries)[1].uid == 1000);
    CHECK((*entries)[2].path == longName);
    CHECK((*entries)[2].mode == 0755);
    CHECK((*entries)[2].content.size() == 1500);

    TarWriter unsafe;
    CHECK(unsafe.add({TarEntry::Kind::file, "/etc/passwd", "x"}).error().code == ErrorCode::usage);
    CHECK(unsafe.add({TarEntry::Kind::file, "a/../../etc/passwd", "x"}).error().code == ErrorCode::usage);
    CHECK(unsafe.add({TarEntry::Kind::file, std::string(300, 'n'), "x"}).error().code == ErrorCode::usage);
    CHECK_FALSE(unsafe.add({TarEntry::Kind::file, "", "x"}));
}

TEST_CASE("a damaged tar archive is reported, not trusted", "[common]") {
    TarWriter writer;
    REQUIRE(writer.add({TarEntry::Kind::file, "a.txt", "hello"}));
    std::string archive = writer.finish();
    std::string corrupt = archive;
    corrupt[10] = 'Z';
    CHECK_FALSE(readTar(corrupt));
    CHECK_FALSE(readTar(archive.substr(0, 600)));
}

TEST_CASE("tokens are random hex and compared in constant time", "[common]") {
    auto first = generateToken();
    auto second = generateToken();
    REQUIRE(first);
    REQUIRE(second);
    CHECK(first->size() == 64);
    CHECK(first->find_first_not_of("0123456789abcdef") == std::string::npos);
    CHECK(*first != *second);
    CHECK(constantTimeEquals("secret", "secret"));
    CHECK_FALSE(constantTimeEquals("secret", "secreT"));
    CHECK_FALSE(constantTimeEquals("secret", "secret-longer"));
    CHECK(bearerMatches("Bearer " + *first, *first));
    CHECK_FALSE(bearerMatches("Bearer " + *second, *first));
    CHECK_FALSE(bearerMatches(*first, *first));
    CHECK_FALSE(bearerMatches("Bearer ", ""));
    CHECK_FALSE(bearerMatches("bearer " + *first, *first));
}

TEST_CASE("private files are 0600 from creation and replaced atomically", "[common]") {
    char pattern[] = "/tmp/ppcs-files-test-XXXXXX";
    REQUIRE(::mkdtemp(pattern) != nullptr);
    std::string dir = std::string(pattern) + "/state/nested";
    REQUIRE(ensurePrivateDirectory(dir));
    struct stat info {};
    REQUIRE(::stat(dir.c_str(), &info) == 0);
    CHECK((info.st_mode & 0777) == 0700);
    ::umask(0);  // even a permissive umask must not widen the file
    REQUIRE(writePrivateFile(dir + "/token", "first\n"));
    REQUIRE(writePrivateFile(dir + "/token", "second\n"));
    ::umask(022);
    REQUIRE(::stat((dir + "/token").c_str(), &info) == 0);
    CHECK((info.st_mode & 0777) == 0600);
    CHECK(*readFile(dir + "/token") == "second\n");
    CHECK(readFile(dir + "/missing").error().code == ErrorCode::notFound);
    std::system(("rm -rf " + std::string(pattern)).c_str());
}

TEST_CASE("string helpers", "[common]") {
    CHECK(trim("  a b \n") == "a b");
    CHECK(split("a,,b", ',') == std::vector<std::string>{"a", "", "b"});
    CHECK(percentEncode("{\"k\":\"v w\"}") == "%7B%22k%22%3A%22v%20w%22%7D");
    CHECK(truncateForDisplay("abcdefgh", 6) == "abc...");
    CHECK(truncateForDisplay("abc", 6) == "abc");
}

TEST_CASE("a bounded fan-out runs every item once and never more than its bound at a time", "[common]") {
    std::vector<std::atomic<int>> calls(200);
    std::atomic<int> running{0};
    std::atomic<int> most{0};
    forEachBounded(calls.size(), 4, [&](std::size_t i) {
        int now = ++running;
        for (int seen = most.load(); now > seen && !most.compare_exchange_weak(seen, now);) {
        }
        std::this_thread::sleep_for(std::chrono::microseconds(200));
        ++calls[i];
        --running;
    });
    for (const auto& count : calls) CHECK(count == 1);
    CHECK(most <= 4);
    CHECK(most >= 2);  // it does run in parallel
    forEachBounded(0, 4, [](std::size_t) { FAIL("no item, no call"); });
}
