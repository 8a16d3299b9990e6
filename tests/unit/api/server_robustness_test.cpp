// ppcsd's HTTP API under hostile or unlucky conditions: output that is not UTF-8, operations that
// throw or stay silent, clients that leave, trickle their headers, or ask for too many streams.
// A real ApiServer on loopback with faked services.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "unit/api/running_server.h"

using namespace ppcs;
using namespace ppcs::api;
using fakes::RunningServer;
using fakes::waitUntil;

namespace {

const std::string kReplacement = "\xef\xbf\xbd";  // U+FFFD, what invalid UTF-8 becomes

// runJob does what the test sets in `job`.
class JobServices final : public fakes::StubServices {
public:
    using Job = std::function<Result<model::JobOutcome>(const model::Progress&, const std::function<bool()>&)>;
    Result<model::JobOutcome> runJob(const model::JobRequest&, const model::Progress& events,
                                     const std::function<bool()>& clientPresent) override {
        ++started;
        return job(events, clientPresent);
    }
    Result<bool> cancelJobById(std::int64_t id) override {
        cancelAsked.push_back(id);
        if (id > 100) return makeError(ErrorCode::usage, "there is no job " + std::to_string(id));
        return id == 7;
    }
    Job job;
    std::atomic<int> started{0};
    std::vector<std::int64_t> cancelAsked;
};

model::JobRequest helloJob() {
    model::JobRequest request;
    request.program = "hello_world";
    return request;
}

// POST /v1/jobs/run as ApiClient sends it, the stream's bytes to receive.
httplib::Request runRequest(const httplib::Headers& auth, httplib::ContentReceiverWithProgress receive) {
    httplib::Request http;
    http.method = "POST";
    http.path = "/v1/jobs/run";
    http.headers = auth;
    http.body = encodeJobRequest(helloJob());
    http.content_receiver = std::move(receive);
    return http;
}

Result<model::JobOutcome> runWithSilenceLimit(int port, std::chrono::seconds limit) {
    return ApiClient(Endpoint{port, 0, "good-token"}, limit).run(helloJob(), [](model::Phase, const std::string&) {});
}

// A raw loopback connection to the server, for clients httplib would not imitate.
class RawConnection {
public:
    explicit RawConnection(int port) : socket_(::socket(AF_INET, SOCK_STREAM, 0)) {
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(static_cast<uint16_t>(port));
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        connected_ = ::connect(socket_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    }
    ~RawConnection() { ::close(socket_); }
    RawConnection(const RawConnection&) = delete;
    RawConnection& operator=(const RawConnection&) = delete;
    bool connected() const { return connected_; }
    bool send(const std::string& bytes) {
        return ::send(socket_, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size());
    }
    // True when the server closes the connection unanswered within bound.
    bool closedUnanswered(std::chrono::seconds bound) {
        timeval timeout{static_cast<time_t>(bound.count()), 0};
        ::setsockopt(socket_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
        char byte;
        return ::recv(socket_, &byte, 1, 0) == 0;
    }

private:
    int socket_;
    bool connected_ = false;
};

}  // namespace

TEST_CASE("invalid UTF-8 in job output and outcome is replaced, and ppcsd keeps serving", "[api]") {
    RunningServer<JobServices> running;
    running.services.job = [](const model::Progress& events, const std::function<bool()>&) -> Result<model::JobOutcome> {
        events(model::Phase::standardOutput, "out \xc3\x28\n");
        events(model::Phase::standardError, "process rank 0 with PID 1 on node \xff exited on signal 9\n");
        return model::JobOutcome{7, 137, model::JobState::failed, "rank 0 on node \xff exited on signal 9", 0.1};
    };
    std::string out, err;
    auto outcome = running.client().run(helloJob(), [&](model::Phase phase, const std::string& text) {
        if (phase == model::Phase::standardOutput) out += text;
        if (phase == model::Phase::standardError) err += text;
    });
    REQUIRE(outcome);
    CHECK(outcome->exitCode == 137);
    CHECK(outcome->message == "rank 0 on node " + kReplacement + " exited on signal 9");
    CHECK(err == "process rank 0 with PID 1 on node " + kReplacement + " exited on signal 9\n");
    CHECK(out.find(kReplacement) != std::string::npos);
    auto version = running.client().version();
    REQUIRE(version);
    CHECK(version->version == PPCS_VERSION);
}

TEST_CASE("an operation that throws ends its stream with an error event, and ppcsd keeps serving", "[api]") {
    RunningServer<JobServices> running;
    running.services.job = [](const model::Progress& events, const std::function<bool()>&) -> Result<model::JobOutcome> {
        events(model::Phase::jobId, "3");
        throw std::runtime_error("boom in the runner");
    };
    std::string id;
    auto outcome = running.client().run(helloJob(), [&](model::Phase phase, const std::string& text) {
        if (phase == model::Phase::jobId) id = text;
    });
    REQUIRE_FALSE(outcome);
    CHECK(outcome.error().code == ErrorCode::failed);
    CHECK(outcome.error().message.find("boom in the runner") != std::string::npos);
    CHECK(id == "3");
    CHECK(running.client().version());
}

TEST_CASE("a silent operation sends heartbeats, which keep a client with a short silence limit waiting", "[api]") {
    ServerLimits limits;
    limits.heartbeatInterval = std::chrono::milliseconds(200);
    RunningServer<JobServices> running(limits);
    running.services.job = [](const model::Progress&, const std::function<bool()>&) -> Result<model::JobOutcome> {
        std::this_thread::sleep_for(std::chrono::milliseconds(2500));
        return model::JobOutcome{9, 0, model::JobState::finished, "", 2.5};
    };
    httplib::Client raw("127.0.0.1", running.port);
    std::string received;
    auto http = runRequest(running.auth(), [&received](const char* data, size_t length, uint64_t, uint64_t) {
        received.append(data, length);
        return true;
    });
    httplib::Response response;
    httplib::Error error;
    REQUIRE(raw.send(http, response, error));
    CHECK(received.find(R"({"type":"heartbeat"})") != std::string::npos);
    CHECK(received.find(R"("job_id":9)") != std::string::npos);

    // Silence of 1 s would end this client's wait; the 2.5 s job passes on the heartbeats.
    auto outcome = runWithSilenceLimit(running.port, std::chrono::seconds(1));
    REQUIRE(outcome);
    CHECK(outcome->id == 9);
}

TEST_CASE("a daemon that stops answering mid-stream is reported after the silence limit", "[api]") {
    ServerLimits limits;
    limits.heartbeatInterval = std::chrono::seconds(30);
    RunningServer<JobServices> running(limits);
    running.services.job = [](const model::Progress& events, const std::function<bool()>&) -> Result<model::JobOutcome> {
        events(model::Phase::jobId, "4");
        std::this_thread::sleep_for(std::chrono::milliseconds(2500));
        return model::JobOutcome{4, 0, model::JobState::finished, "", 2.5};
    };
    auto outcome = runWithSilenceLimit(running.port, std::chrono::seconds(1));
    REQUIRE_FALSE(outcome);
    CHECK(outcome.error().code == ErrorCode::unavailable);
    CHECK(outcome.error().message == "ppcsd sent nothing for 1 s while running /v1/jobs/run: it may be stuck (see its log)");
}

TEST_CASE("a job sees its client leave", "[api]") {
    RunningServer<JobServices> running;
    std::atomic<bool> presentAtFirst{false}, sawGone{false};
    running.services.job = [&](const model::Progress& events,
                               const std::function<bool()>& clientPresent) -> Result<model::JobOutcome> {
        presentAtFirst = clientPresent();
        events(model::Phase::jobId, "5");
        sawGone = waitUntil([&] { return !clientPresent(); }, std::chrono::seconds(10));
        return model::JobOutcome{5, 0, model::JobState::cancelled, "", 0};
    };
    httplib::Client raw("127.0.0.1", running.port);
    auto http =
        runRequest(running.auth(), [](const char*, size_t, uint64_t, uint64_t) { return false; });  // leaves at the first event
    httplib::Response response;
    httplib::Error error;
    CHECK_FALSE(raw.send(http, response, error));
    REQUIRE(waitUntil([&] { return running.services.started == 1 && sawGone; }));
    CHECK(presentAtFirst);
}

TEST_CASE("clients that trickle their headers neither starve others nor hold a thread for long", "[api]") {
    RunningServer<JobServices> running;
    std::vector<std::unique_ptr<RawConnection>> slow;
    for (int i = 0; i < 64; ++i) slow.push_back(std::make_unique<RawConnection>(running.port));
    for (const auto& connection : slow) REQUIRE(connection->connected());
    std::atomic<bool> trickling{true};
    std::thread trickler([&] {
        std::string header = "GET /v1/version HTTP/1.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
        for (std::size_t i = 0; i < header.size() && trickling; ++i) {
            for (const auto& connection : slow) connection->send(header.substr(i, 1));
            for (int wait = 0; wait < 50 && trickling; ++wait) std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(600));
    httplib::Client normal("127.0.0.1", running.port);
    normal.set_connection_timeout(3, 0);
    normal.set_read_timeout(3, 0);
    auto reply = normal.Get("/v1/version", running.auth());
    trickling = false;
    trickler.join();
    REQUIRE(reply);
    CHECK(reply->status == 200);
    CHECK(reply->body.find(PPCS_VERSION) != std::string::npos);
    CHECK(slow.front()->closedUnanswered(std::chrono::seconds(10)));
}

TEST_CASE("streams beyond the cap get 503, and a freed slot is reused", "[api]") {
    ServerLimits limits;
    limits.maxStreams = 2;
    RunningServer<JobServices> running(limits);
    std::mutex mutex;
    std::condition_variable released;
    bool release = false;
    running.services.job = [&](const model::Progress&, const std::function<bool()>&) -> Result<model::JobOutcome> {
        std::unique_lock<std::mutex> lock(mutex);
        released.wait_for(lock, std::chrono::seconds(10), [&] { return release; });
        return model::JobOutcome{1, 0, model::JobState::finished, "", 0};
    };
    auto runOne = [&running] { return running.client().run(helloJob(), [](model::Phase, const std::string&) {}); };
    Result<model::JobOutcome> first = makeError(ErrorCode::failed, "not run"), second = first;
    std::thread a([&] { first = runOne(); });
    std::thread b([&] { second = runOne(); });
    REQUIRE(waitUntil([&] { return running.services.started == 2; }));
    auto third = runOne();
    {
        std::lock_guard<std::mutex> lock(mutex);
        release = true;
    }
    released.notify_all();
    a.join();
    b.join();
    REQUIRE_FALSE(third);
    CHECK(third.error().code == ErrorCode::unavailable);
    CHECK(third.error().message == "ppcsd already streams 2 operations: try again when one of them ends");
    CHECK(first);
    CHECK(second);
    CHECK(runOne());
    CHECK(running.services.started == 3);
}

TEST_CASE("a job is cancelled by id, and bad cancel bodies get one clear line", "[api]") {
    RunningServer<JobServices> running;
    CHECK(*running.client().cancelJobById(7));
    CHECK_FALSE(*running.client().cancelJobById(8));
    auto missing = running.client().cancelJobById(101);
    REQUIRE_FALSE(missing);
    CHECK(missing.error().code == ErrorCode::usage);
    CHECK(missing.error().message == "there is no job 101");
    httplib::Client raw("127.0.0.1", running.port);
    struct Case {
        std::string body;
        std::string says;
    };
    for (const auto& c : std::vector<Case>{{R"({"id":0})", "'id' must be a job number from 1 up"},
                                           {R"({"id":"7"})", "'id' must be a job number from 1 up"},
                                           {R"({"id":2.5})", "'id' must be a job number from 1 up"},
                                           {R"({"id":7,"cluster":"ppcs"})", "give either 'id' or 'cluster', not both"},
                                           {R"({"job":7})", "unknown field 'job'"}}) {
        INFO(c.body);
        auto reply = raw.Post("/v1/jobs/cancel", running.auth(), c.body, "application/json");
        REQUIRE(reply);
        CHECK(reply->status == 400);
        auto error = decodeError(reply->body, reply->status);
        CHECK(error.message == "cancel request: " + c.says);
    }
    CHECK(running.services.cancelAsked == std::vector<std::int64_t>{7, 8, 101});
}
