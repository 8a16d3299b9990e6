#include "image/build_context.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>

#include "image/apt_mirror.h"
#include "image/base_image.h"

using namespace ppcs;
using namespace ppcs::image;

namespace {

class TemporaryContext {
public:
    TemporaryContext() {
        char pattern[] = "/tmp/ppcs-context-test-XXXXXX";
        dir_ = ::mkdtemp(pattern);
        write("Dockerfile", "# base\nFROM debian:bookworm-slim AS node\nRUN true\n");
        ::mkdir((dir_ + "/examples").c_str(), 0755);
        write("examples/hello.c", "int main(void) { return 0; }\n");
    }
    ~TemporaryContext() { std::system(("rm -rf " + dir_).c_str()); }
    void write(const std::string& name, const std::string& content) { std::ofstream(dir_ + "/" + name) << content; }
    const std::string& dir() const { return dir_; }

private:
    std::string dir_;
};

}  // namespace

TEST_CASE("a build context is read in a stable order with its modes", "[image][context]") {
    TemporaryContext context;
    ::chmod((context.dir() + "/examples/hello.c").c_str(), 0755);
    auto loaded = loadBuildContext(context.dir());
    REQUIRE(loaded);
    REQUIRE(loaded->entries.size() == 3);
    CHECK(loaded->entries[0].path == "Dockerfile");
    CHECK(loaded->entries[1].path == "examples");
    CHECK(loaded->entries[1].kind == TarEntry::Kind::directory);
    CHECK(loaded->entries[2].mode == 0755);
    auto tar = contextTar(*loaded);
    REQUIRE(tar);
    auto entries = readTar(*tar);
    REQUIRE(entries);
    CHECK(entries->size() == 3);
    CHECK(*baseImageOf(*loaded) == "debian:bookworm-slim");
}

TEST_CASE("the context hash changes with content, names and the executable bit only", "[image][context]") {
    TemporaryContext context;
    std::string first = contextHash(*loadBuildContext(context.dir()));
    CHECK(first.size() == 64);
    CHECK(contextHash(*loadBuildContext(context.dir())) == first);
    SECTION("content") {
        context.write("examples/hello.c", "int main(void) { return 1; }\n");
        CHECK(contextHash(*loadBuildContext(context.dir())) != first);
    }
    SECTION("a new file") {
        context.write("examples/extra.c", "");
        CHECK(contextHash(*loadBuildContext(context.dir())) != first);
    }
    SECTION("executable bit") {
        ::chmod((context.dir() + "/examples/hello.c").c_str(), 0755);
        CHECK(contextHash(*loadBuildContext(context.dir())) != first);
    }
}

TEST_CASE("bad build contexts are refused", "[image][context]") {
    CHECK(loadBuildContext("/nonexistent-ppcs-context").error().code == ErrorCode::usage);
    TemporaryContext context;
    REQUIRE(::symlink("/etc/passwd", (context.dir() + "/passwd").c_str()) == 0);
    auto loaded = loadBuildContext(context.dir());
    REQUIRE_FALSE(loaded);
    CHECK(loaded.error().message == "build context: 'passwd' is not a plain file or directory");
    TemporaryContext noFrom;
    noFrom.write("Dockerfile", "RUN true\n");
    CHECK_FALSE(baseImageOf(*loadBuildContext(noFrom.dir())));
}

TEST_CASE("image references", "[image]") {
    CHECK(*splitImageReference("ppcs-openmpi:latest") == std::make_pair(std::string("ppcs-openmpi"), std::string("latest")));
    CHECK(*splitImageReference("localhost:5000/ppcs") ==
          std::make_pair(std::string("localhost:5000/ppcs"), std::string("latest")));
    for (std::string bad : {"", "Bad Name", "UPPER:case", "name:", ":tag", "a@sha256:x", "a:b:c!", "-lead:x"}) {
        INFO(bad);
        CHECK(splitImageReference(bad).error().code == ErrorCode::usage);
    }
}

TEST_CASE("the Debian mirror comes from the host's apt sources", "[image][mirror]") {
    SECTION("deb822 with security first") {
        std::vector<AptSourceFile> files{
            {"/etc/apt/sources.list.d/debian.sources",
             "Types: deb\nURIs: http://deb.debian.org/debian-security\nSuites: bookworm-security\n"
             "Components: main\n\nTypes: deb deb-src\n# comment\nURIs: http://mirror.example/debian/\n"
             "Suites: bookworm bookworm-updates\nComponents: main\n"}};
        CHECK(*debianMirrorFromSources(files) == "http://mirror.example/debian");
    }
    SECTION("one-line format with options") {
        std::vector<AptSourceFile> files{{"/etc/apt/sources.list",
                                          "# deb http://old/debian bookworm main\ndeb-src http://src/debian bookworm main\n"
                                          "deb [arch=amd64 signed-by=/k.gpg] https://ftp.example/debian bookworm main\n"}};
        CHECK(*debianMirrorFromSources(files) == "https://ftp.example/debian");
    }
    SECTION("nothing usable") {
        std::vector<AptSourceFile> files{
            {"/etc/apt/sources.list.d/node.list", "deb https://deb.nodesource.com/node_20.x nodistro main\n"},
            {"/etc/apt/sources.list.d/x.sources", "Types: deb\nURIs: http://a/debian\nSuites: trixie\n"}};
        CHECK_FALSE(debianMirrorFromSources(files).has_value());
    }
}
