// The real (Beast) transport's chunked upload against a one-connection server on a unix socket:
// a complete body ends with the final chunk and the reply is read; a source that fails leaves the
// body unfinished, so the engine can never take a part of an archive for all of it. And a long
// reply body is read in large pieces, not in the few hundred bytes left over from its header.

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <future>

#include "docker/transport.h"
#include "support/unix_listener.h"

using namespace ppcs;
using namespace ppcs::docker;

namespace {

constexpr const char* kFinalChunk = "\r\n0\r\n\r\n";

// Accepts one connection and reads it until the final chunk (then answers `reply`) or until the
// client closes it; what it read is the future's value.
class OneShotServer {
public:
    explicit OneShotServer(std::string reply) : reply_(std::move(reply)) {
        received_ = std::async(std::launch::async, [this] { return serve(); });
    }
    const std::string& path() const { return socket_.path(); }
    std::string received() { return received_.get(); }

private:
    std::string serve() {
        int connection = ::accept(socket_.listener(), nullptr, nullptr);
        if (connection < 0) return "";
        std::string bytes;
        char buffer[65536];
        pollfd readable{connection, POLLIN, 0};
        while (::poll(&readable, 1, 10000) == 1) {
            ssize_t n = ::read(connection, buffer, sizeof buffer);
            if (n <= 0) break;
            bytes.append(buffer, static_cast<std::size_t>(n));
            if (bytes.size() >= 7 && bytes.compare(bytes.size() - 7, 7, kFinalChunk) == 0) {
                (void)::write(connection, reply_.data(), reply_.size());
                break;
            }
        }
        ::close(connection);
        return bytes;
    }

    std::string reply_;
    ppcs::testing::UnixSocketInFolder socket_;
    std::future<std::string> received_;
};

// Accepts one connection, reads the request's header and answers with `reply` at once.
class ReplyServer {
public:
    explicit ReplyServer(std::string reply) : reply_(std::move(reply)) {
        served_ = std::async(std::launch::async, [this] { serve(); });
    }
    ~ReplyServer() {
        socket_.close();
        served_.wait();
    }
    const std::string& path() const { return socket_.path(); }

private:
    void serve() {
        int connection = ::accept(socket_.listener(), nullptr, nullptr);
        if (connection < 0) return;
        std::string request;
        char buffer[4096];
        pollfd readable{connection, POLLIN, 0};
        while (request.find("\r\n\r\n") == std::string::npos && ::poll(&readable, 1, 10000) == 1) {
            ssize_t n = ::read(connection, buffer, sizeof buffer);
            if (n <= 0) break;
            request.append(buffer, static_cast<std::size_t>(n));
        }
        for (std::size_t sent = 0; sent < reply_.size();) {
            ssize_t n = ::write(connection, reply_.data() + sent, reply_.size() - sent);
            if (n <= 0) break;
            sent += static_cast<std::size_t>(n);
        }
        ::close(connection);
    }

    std::string reply_;
    ppcs::testing::UnixSocketInFolder socket_;
    std::future<void> served_;
};

HttpRequest putArchiveRequest() {
    HttpRequest request;
    request.method = "PUT";
    request.target = "/v1.41/containers/c/archive?path=%2Ftmp";
    request.contentType = "application/x-tar";
    request.idleTimeout = std::chrono::seconds(10);
    return request;
}

}  // namespace

TEST_CASE("a chunked upload ends with the final chunk and returns the engine's reply", "[docker][transport]") {
    OneShotServer server("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    auto transport = makeUnixSocketTransport(server.path());
    int calls = 0;
    auto reply = transport->upload(putArchiveRequest(), [&calls](std::string& piece) -> Result<bool> {
        piece = "piece-" + std::to_string(++calls);
        return calls < 3;
    });
    REQUIRE(reply);
    CHECK(reply->status == 200);
    CHECK(reply->body == "ok");
    std::string sent = server.received();
    CHECK(sent.find("Transfer-Encoding: chunked") != std::string::npos);
    CHECK(sent.find("piece-1") != std::string::npos);
    CHECK(sent.find("piece-3") != std::string::npos);
    CHECK(sent.size() >= 7);
    CHECK(sent.compare(sent.size() - 7, 7, kFinalChunk) == 0);
}

TEST_CASE("a source that fails abandons the upload without the final chunk", "[docker][transport]") {
    OneShotServer server("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    auto transport = makeUnixSocketTransport(server.path());
    int calls = 0;
    auto reply = transport->upload(putArchiveRequest(), [&calls](std::string& piece) -> Result<bool> {
        if (++calls == 3) return makeError(ErrorCode::failed, "'/data/x' became shorter while it was copied");
        piece = "piece-" + std::to_string(calls);
        return true;
    });
    REQUIRE_FALSE(reply);
    CHECK(reply.error().message == "'/data/x' became shorter while it was copied");
    std::string sent = server.received();
    CHECK(sent.find("piece-2") != std::string::npos);
    CHECK(sent.find("\r\n0\r\n") == std::string::npos);
}

TEST_CASE("a long reply body reaches the sink whole and in large pieces", "[docker][transport]") {
    const std::size_t size = 4 * 1024 * 1024;
    std::string body(size, 'x');
    for (std::size_t i = 0; i < size; i += 4096) body[i] = static_cast<char>('a' + (i / 4096) % 26);
    ReplyServer server("HTTP/1.1 200 OK\r\nContent-Type: application/x-tar\r\nContent-Length: " + std::to_string(size) +
                       "\r\n\r\n" + body);
    auto transport = makeUnixSocketTransport(server.path());
    HttpRequest request;
    request.method = "GET";
    request.target = "/v1.41/images/sha256:abc/get";
    request.idleTimeout = std::chrono::seconds(10);
    std::string received;
    std::size_t pieces = 0;
    auto reply = transport->stream(request, [&](std::string_view piece) {
        received.append(piece);
        ++pieces;
        return true;
    });
    REQUIRE(reply);
    CHECK(reply->status == 200);
    CHECK(received == body);
    // 4 MiB in pieces of up to 64 KiB: 64 at best. Reading into what the header left of the
    // buffer took over 8000 (about 518 bytes each).
    INFO("pieces: " << pieces);
    CHECK(pieces <= 1024);
}
