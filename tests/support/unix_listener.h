#pragma once
// A listening unix socket for an in-process stand-in engine in unit tests.

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <string>

#include "support/scratch_dir.h"

namespace ppcs::testing {

// Binds and listens (backlog 1) at path; the test fails when it cannot. The caller closes it.
inline int listenOnUnixSocket(const std::string& path) {
    int listener = ::socket(AF_UNIX, SOCK_STREAM, 0);
    REQUIRE(listener >= 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
    REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    REQUIRE(::listen(listener, 1) == 0);
    return listener;
}

// A listening unix socket, engine.sock in a folder of its own under /tmp; closed and removed with
// its folder at the end.
class UnixSocketInFolder {
public:
    UnixSocketInFolder() : path_(folder_.path + "/engine.sock"), listener_(listenOnUnixSocket(path_)) {}
    ~UnixSocketInFolder() { close(); }
    UnixSocketInFolder(const UnixSocketInFolder&) = delete;
    UnixSocketInFolder& operator=(const UnixSocketInFolder&) = delete;

    const std::string& path() const { return path_; }
    int listener() const { return listener_; }
    void close() {
        if (listener_ >= 0) ::close(listener_);
        listener_ = -1;
    }

private:
    ScratchDir folder_{"sock"};
    std::string path_;
    int listener_;
};

}  // namespace ppcs::testing
