#pragma once
// A fresh directory under /tmp for one test, removed with everything in it at the end.

#include <stdlib.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>

namespace ppcs::testing {

class ScratchDir {
public:
    // /tmp/ppcs-<name>-XXXXXX
    explicit ScratchDir(const std::string& name = "test") {
        std::string pattern = "/tmp/ppcs-" + name + "-XXXXXX";
        REQUIRE(::mkdtemp(pattern.data()) != nullptr);
        path = pattern;
    }
    ~ScratchDir() { (void)std::system(("rm -rf '" + path + "'").c_str()); }
    ScratchDir(const ScratchDir&) = delete;
    ScratchDir& operator=(const ScratchDir&) = delete;

    std::string path;
};

}  // namespace ppcs::testing
