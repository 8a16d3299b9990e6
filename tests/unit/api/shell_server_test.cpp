// `shell` through a real ApiServer on loopback and the real client connection, with the session
// faked: the upgrade and its refusals, frames both ways, and clients that leave or misbehave.

#include <poll.h>
#include <sys/socket.h>

#include <catch2/catch.hpp>
#include <condition_variable>
#include <deque>
#include <mutex>

#include "api/shell_client.h"
#include "api/shell_protocol.h"
#include "unit/api/running_server.h"

using namespace ppcs;
using namespace ppcs::api;
using ppcs::api::fakes::RunningServer;
using ppcs::api::fakes::waitUntil;

namespace {

// A session the test scripts: output it pushes, then the end with a status; what the relay did.
class FakeShell final : public jobs::ShellProcess {
public:
    Result<std::optional<jobs::ShellOutput>> readOutput() override {
        std::unique_lock<std::mutex> lock(mutex_);
        changed_.wait(lock, [this] { return !output_.empty() || ended_ || abandoned_; });
        if (!output_.empty()) {
            auto next = output_.front();
            output_.pop_front();
            return std::optional<jobs::ShellOutput>(next);
        }
        return std::optional<jobs::ShellOutput>();
    }
    Status writeInput(std::string_view bytes) override {
        std::lock_guard<std::mutex> lock(mutex_);
        input_.append(bytes);
        return {};
    }
    void closeInput() override {
        std::lock_guard<std::mutex> lock(mutex_);
        inputClosed_ = true;
    }
    Status resize(int cols, int rows) override {
        std::lock_guard<std::mutex> lock(mutex_);
        sizes_.push_back({cols, rows});
        return {};
    }
    Result<int> exitCode() override { return status_; }
    void abandon() override {
        std::lock_guard<std::mutex> lock(mutex_);
        abandoned_ = true;
        changed_.notify_all();
    }

    void push(bool isErr, std::string bytes) {
        std::lock_guard<std::mutex> lock(mutex_);
        output_.push_back({isErr, std::move(bytes)});
        changed_.notify_all();
    }
    void end(int status) {
        std::lock_guard<std::mutex> lock(mutex_);
        status_ = status;
        ended_ = true;
        changed_.notify_all();
    }
    std::string input() {
        std::lock_guard<std::mutex> lock(mutex_);
        return input_;
    }
    bool inputClosed() {
        std::lock_guard<std::mutex> lock(mutex_);
        return inputClosed_;
    }
    bool abandoned() {
        std::lock_guard<std::mutex> lock(mutex_);
        return abandoned_;
    }
    std::vector<std::pair<int, int>> sizes() {
        std::lock_guard<std::mutex> lock(mutex_);
        return sizes_;
    }

private:
    std::mutex mutex_;
    std::condition_variable changed_;
    std::deque<jobs::ShellOutput> output_;
    std::string input_;
    bool inputClosed_ = false;
    bool ended_ = false;
    bool abandoned_ = false;
    int status_ = 0;
    std::vector<std::pair<int, int>> sizes_;
};

// Hands the test's FakeShell over (it outlives the session) and keeps the requests.
class ShellServices final : public fakes::StubServices {
public:
    Result<std::unique_ptr<jobs::ShellProcess>> openShell(const model::ShellRequest& request) override {
        std::lock_guard<std::mutex> lock(mutex);
        requests.push_back(request);
        if (request.node == 9) return makeError(ErrorCode::usage, "cluster 'demo' has no node 9 (see `ppcs-cluster status`)");
        auto shell = std::make_shared<FakeShell>();
        shells.push_back(shell);
        return std::unique_ptr<jobs::ShellProcess>(new Forwarding(shell));
    }
    std::size_t opened() {
        std::lock_guard<std::mutex> lock(mutex);
        return shells.size();
    }
    std::shared_ptr<FakeShell> shell(std::size_t index) {
        std::lock_guard<std::mutex> lock(mutex);
        return index < shells.size() ? shells[index] : nullptr;
    }

    std::mutex mutex;
    std::vector<model::ShellRequest> requests;
    std::vector<std::shared_ptr<FakeShell>> shells;

private:
    class Forwarding final : public jobs::ShellProcess {
    public:
        explicit Forwarding(std::shared_ptr<FakeShell> shell) : shell_(std::move(shell)) {}
        Result<std::optional<jobs::ShellOutput>> readOutput() override { return shell_->readOutput(); }
        Status writeInput(std::string_view bytes) override { return shell_->writeInput(bytes); }
        void closeInput() override { shell_->closeInput(); }
        Status resize(int cols, int rows) override { return shell_->resize(cols, rows); }
        Result<int> exitCode() override { return shell_->exitCode(); }
        void abandon() override { shell_->abandon(); }

    private:
        std::shared_ptr<FakeShell> shell_;
    };
};

model::ShellRequest interactive() {
    model::ShellRequest request;
    request.cluster = "demo";
    request.tty = true;
    request.attachStdin = true;
    request.cols = 101;
    request.rows = 33;
    return request;
}

// Reads frames from the connection until one of type `until` (or the stream ends / 10 s pass).
std::vector<Frame> readUntil(ShellConnection& connection, FrameType until) {
    FrameDecoder decoder;
    std::vector<Frame> frames;
    auto early = decoder.feed(connection.takeEarly());
    REQUIRE(early);
    frames = *early;
    char chunk[4096];
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::none_of(frames.begin(), frames.end(), [until](const Frame& frame) { return frame.type == until; })) {
        REQUIRE(std::chrono::steady_clock::now() < deadline);
        pollfd ready{connection.socket(), POLLIN, 0};
        if (::poll(&ready, 1, 100) <= 0) continue;
        ssize_t got = ::recv(connection.socket(), chunk, sizeof chunk, 0);
        if (got <= 0) break;
        auto more = decoder.feed(std::string_view(chunk, static_cast<std::size_t>(got)));
        REQUIRE(more);
        frames.insert(frames.end(), more->begin(), more->end());
    }
    return frames;
}

}  // namespace

TEST_CASE("a shell session relays input, resizes and output, and ends with the process's status", "[api][shell]") {
    RunningServer<ShellServices> server;
    auto connection = openShellConnection(Endpoint{server.port, 0, "good-token"}, interactive());
    REQUIRE(connection);
    REQUIRE(server.services.opened() == 1);
    CHECK(server.services.requests[0].cluster == "demo");
    CHECK(server.services.requests[0].cols == 101);
    auto shell = server.services.shell(0);
    REQUIRE(shell);

    REQUIRE((*connection)->send(encodeFrame(FrameType::input, "echo hi\r")));
    REQUIRE((*connection)->send(encodeResizeFrame(120, 40)));
    REQUIRE((*connection)->send(encodeFrame(FrameType::inputEnd, "")));
    CHECK(waitUntil([&] { return shell->input() == "echo hi\r" && shell->inputClosed() && shell->sizes().size() == 1; }));
    CHECK(shell->sizes().at(0) == std::make_pair(120, 40));

    shell->push(false, "hi\r\n");
    shell->push(true, "warning\n");
    shell->end(3);
    auto frames = readUntil(**connection, FrameType::exit);
    REQUIRE(frames.size() == 3);
    CHECK(frames[0].type == FrameType::output);
    CHECK(frames[0].payload == "hi\r\n");
    CHECK(frames[1].type == FrameType::errorOutput);
    CHECK(exitStatusOf(frames[2]) == 3);
    CHECK_FALSE(shell->abandoned());
}

TEST_CASE("a shell client that goes away, or sends garbage, gets its session abandoned, and ppcsd serves on", "[api][shell]") {
    RunningServer<ShellServices> server;
    Endpoint endpoint{server.port, 0, "good-token"};
    SECTION("the connection closes mid-session") {
        auto connection = openShellConnection(endpoint, interactive());
        REQUIRE(connection);
        connection->reset();
    }
    SECTION("a frame of unknown type") {
        auto connection = openShellConnection(endpoint, interactive());
        REQUIRE(connection);
        REQUIRE((*connection)->send(std::string("\x63\0\0\0\0", 5)));
        CHECK(waitUntil([&] { return server.services.shell(0) && server.services.shell(0)->abandoned(); }));
    }
    SECTION("a frame only ppcsd sends") {
        auto connection = openShellConnection(endpoint, interactive());
        REQUIRE(connection);
        REQUIRE((*connection)->send(encodeExitFrame(0)));
        CHECK(waitUntil([&] { return server.services.shell(0) && server.services.shell(0)->abandoned(); }));
    }
    REQUIRE(server.services.shell(0));
    CHECK(waitUntil([&] { return server.services.shell(0)->abandoned(); }));
    CHECK(server.client().version());
}

TEST_CASE("shell requests are refused with the API's errors before any upgrade", "[api][shell]") {
    ServerLimits limits;
    limits.maxShells = 1;
    RunningServer<ShellServices> server(limits);
    Endpoint endpoint{server.port, 0, "good-token"};

    auto wrongToken = openShellConnection(Endpoint{server.port, 0, "bad-token"}, interactive());
    REQUIRE_FALSE(wrongToken);
    CHECK(wrongToken.error().code == ErrorCode::unauthorized);

    auto noNode = interactive();
    noNode.node = 9;
    auto missing = openShellConnection(endpoint, noNode);
    REQUIRE_FALSE(missing);
    CHECK(missing.error().code == ErrorCode::usage);
    CHECK(missing.error().message == "cluster 'demo' has no node 9 (see `ppcs-cluster status`)");

    auto bad = interactive();
    bad.cols = -1;  // the server checks what the CLI checks
    auto refused = openShellConnection(endpoint, bad);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == ErrorCode::usage);

    auto first = openShellConnection(endpoint, interactive());
    REQUIRE(first);
    auto second = openShellConnection(endpoint, interactive());
    REQUIRE_FALSE(second);
    CHECK(second.error().code == ErrorCode::unavailable);
    CHECK(second.error().message.find("already runs 1 shells") != std::string::npos);
    server.services.shell(0)->end(0);
    auto frames = readUntil(**first, FrameType::exit);
    REQUIRE_FALSE(frames.empty());
    first->reset();
    // The slot is free again once the first session is over.
    CHECK(waitUntil([&] {
        auto again = openShellConnection(endpoint, interactive());
        if (!again) return false;
        server.services.shell(server.services.opened() - 1)->end(0);
        return true;
    }));

    // Plain requests are not affected by the upgrade handler.
    CHECK(server.client().version());
}
