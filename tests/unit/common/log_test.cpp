#include "common/log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <string>

#include "common/files.h"

using namespace ppcs;

namespace {

// Points stderr at path for the life of this object.
class StderrToFile {
public:
    explicit StderrToFile(const std::string& path) {
        std::fflush(stderr);
        saved_ = ::dup(STDERR_FILENO);
        int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
        REQUIRE(fd >= 0);
        ::dup2(fd, STDERR_FILENO);
        ::close(fd);
    }
    ~StderrToFile() {
        std::fflush(stderr);
        ::dup2(saved_, STDERR_FILENO);
        ::close(saved_);
    }

private:
    int saved_ = -1;
};

std::uintmax_t sizeOf(const std::string& path) { return std::filesystem::file_size(path); }

}  // namespace

TEST_CASE("ppcsd's log rotates the file stderr writes to, and no other", "[common][log]") {
    char pattern[] = "/tmp/ppcs-log-XXXXXX";
    REQUIRE(::mkdtemp(pattern) != nullptr);
    std::string dir = pattern;
    std::string path = dir + "/ppcsd.log";
    std::string line(60, 'x');
    {
        StderrToFile redirected(path);
        log::rotateStderrAt(path, 4096);
        for (int i = 0; i < 200; ++i) log::info("line " + std::to_string(i) + " " + line);
        log::rotateStderrAt(path, 0);
    }
    REQUIRE(std::filesystem::exists(path + ".1"));
    CHECK(sizeOf(path + ".1") >= 4096);
    CHECK(sizeOf(path) < 4096);
    auto current = readFile(path);
    REQUIRE(current);
    CHECK(current->find("line 199 ") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(path + ".2"));

    // A file that stderr does not write to is never renamed, however large.
    std::string other = dir + "/other.log";
    REQUIRE(writePrivateFile(other, std::string(10000, 'y')));
    {
        StderrToFile redirected(dir + "/stderr.log");
        log::rotateStderrAt(other, 100);
        log::info("to stderr, not to other.log");
        log::rotateStderrAt(other, 0);
    }
    CHECK_FALSE(std::filesystem::exists(other + ".1"));
    CHECK(sizeOf(other) == 10000);
    std::filesystem::remove_all(dir);
}

TEST_CASE("log levels are named as PPCS_LOG names them, and debug lines are off by default", "[common][log]") {
    CHECK(log::levelFromName("debug") == log::Level::debug);
    CHECK(log::levelFromName("error") == log::Level::error);
    CHECK_FALSE(log::levelFromName("DEBUG"));
    CHECK_FALSE(log::levelFromName(""));
    CHECK_FALSE(log::enabled(log::Level::debug));
    CHECK(log::enabled(log::Level::info));
    log::setLevel(log::Level::debug);
    CHECK(log::enabled(log::Level::debug));
    log::setLevel(log::Level::info);
}
