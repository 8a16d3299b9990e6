// A shell session through the hijacked exec, on the fake transport: what the engine is asked,
// output with and without a TTY, input, resizes, the exit status, and a client that went away.

#include "jobs/shell_session.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "support/engine_bytes.h"
#include "support/fake_transport.h"

using namespace ppcs;
using ppcs::testing::FakeByteStream;
using ppcs::testing::FakeReply;
using ppcs::testing::FakeTransport;

namespace {

struct Engine {
    std::shared_ptr<FakeTransport> transport = std::make_shared<FakeTransport>();
    docker::EngineClient client = connect(transport);

    std::shared_ptr<docker::Engine> shared() const { return std::make_shared<docker::EngineClient>(client); }

    static docker::EngineClient connect(const std::shared_ptr<FakeTransport>& transport) {
        transport->expect("GET", "/_ping", ppcs::testing::pingReply("1.41"));
        return *docker::EngineClient::connect(transport);
    }
};

std::string muxFrame(char stream, const std::string& payload) { return ppcs::testing::execFrame(payload, stream); }

std::string sessionIdOf(const nlohmann::json& created) {
    for (const auto& entry : created["Env"]) {
        std::string text = entry.get<std::string>();
        if (text.rfind("PPCS_SHELL_SESSION=", 0) == 0) return text.substr(19);
    }
    return "";
}

}  // namespace

TEST_CASE("an interactive shell: a login shell on a TTY, sized, input and output raw, exit status at the end", "[jobs][shell]") {
    Engine engine;
    auto stream = std::make_shared<FakeByteStream>();
    engine.transport->expectJson("POST", "/v1.41/containers/c1/exec", 201, R"({"Id":"e1"})");
    engine.transport->expectHijack("/v1.41/exec/e1/start", FakeReply{101, {}, {}}, stream);
    engine.transport->expect("POST", "/v1.41/exec/e1/resize", FakeReply{200, {}, {}});
    jobs::ShellRequest request;
    request.cluster = "demo";
    request.tty = true;
    request.attachStdin = true;
    request.cols = 101;
    request.rows = 33;
    auto shell = jobs::openShell(engine.shared(), "c1", request);
    REQUIRE(shell);

    auto created = nlohmann::json::parse(engine.transport->requestsTo("POST", "/v1.41/containers/c1/exec").at(0).body);
    CHECK(created["Cmd"] == nlohmann::json::array({"/bin/bash", "--login"}));
    CHECK(created["Tty"] == true);
    CHECK(created["AttachStdin"] == true);
    CHECK(created["User"] == "mpiuser");
    CHECK(created["WorkingDir"] == "/usr/local/var/mpishare");
    auto env = created["Env"].get<std::vector<std::string>>();
    CHECK(std::count(env.begin(), env.end(), "HOME=/home/mpiuser") == 1);
    CHECK(std::count(env.begin(), env.end(), "TERM=xterm") == 1);
    CHECK(std::count(env.begin(), env.end(), "PPCS_CLUSTER=demo") == 1);
    CHECK(sessionIdOf(created).size() == 32);
    REQUIRE(engine.transport->hijackRequests.size() == 1);
    CHECK(nlohmann::json::parse(engine.transport->hijackRequests[0].body)["Tty"] == true);
    auto sized = engine.transport->requestsTo("POST", "/v1.41/exec/e1/resize");
    REQUIRE(sized.size() == 1);
    CHECK(sized[0].target == "/v1.41/exec/e1/resize?h=33&w=101");

    // With a TTY the stream is not framed: bytes that look like a frame header pass as they are.
    stream->push(std::string("\x01\0\0\0\0\0\0\x02hi", 10));
    auto output = (*shell)->readOutput();
    REQUIRE(output);
    REQUIRE(output->has_value());
    CHECK((*output)->bytes == std::string("\x01\0\0\0\0\0\0\x02hi", 10));
    CHECK_FALSE((*output)->isErr);

    REQUIRE((*shell)->writeInput("sleep 30\r\x03"));
    CHECK(stream->written() == "sleep 30\r\x03");
    engine.transport->expect("POST", "/v1.41/exec/e1/resize", FakeReply{200, {}, {}});
    REQUIRE((*shell)->resize(80, 24));
    CHECK(engine.transport->requestsTo("POST", "/v1.41/exec/e1/resize").back().target == "/v1.41/exec/e1/resize?h=24&w=80");

    stream->end();
    auto ended = (*shell)->readOutput();
    REQUIRE(ended);
    CHECK_FALSE(ended->has_value());
    engine.transport->expectJson("GET", "/v1.41/exec/e1/json", 200, R"({"Running":false,"ExitCode":3})");
    auto status = (*shell)->exitCode();
    REQUIRE(status);
    CHECK(*status == 3);
}

TEST_CASE("a command without TTY: stdout and stderr apart from the framed stream, input ended", "[jobs][shell]") {
    Engine engine;
    auto stream = std::make_shared<FakeByteStream>();
    engine.transport->expectJson("POST", "/v1.41/containers/c1/exec", 201, R"({"Id":"e2"})");
    engine.transport->expectHijack("/v1.41/exec/e2/start", FakeReply{200, {}, {}}, stream);
    jobs::ShellRequest request;
    request.command = {"sh", "-c", "cat; echo oops >&2"};
    request.attachStdin = true;
    auto shell = jobs::openShell(engine.shared(), "c1", request);
    REQUIRE(shell);
    auto created = nlohmann::json::parse(engine.transport->requestsTo("POST", "/v1.41/containers/c1/exec").at(0).body);
    CHECK(created["Cmd"] == nlohmann::json::array({"sh", "-c", "cat; echo oops >&2"}));
    CHECK(created["Tty"] == false);
    CHECK(engine.transport->requestsTo("POST", "/v1.41/exec/e2/resize").empty());  // no TTY, no size

    REQUIRE((*shell)->writeInput("abc"));
    (*shell)->closeInput();
    CHECK(stream->writeClosed());
    // Two frames split in the middle of the second one's header.
    std::string bytes = muxFrame(1, "abc") + muxFrame(2, "oops\n");
    stream->push(bytes.substr(0, 13));
    stream->push(bytes.substr(13));
    stream->end();
    std::vector<jobs::ShellOutput> seen;
    while (true) {
        auto next = (*shell)->readOutput();
        REQUIRE(next);
        if (!next->has_value()) break;
        seen.push_back(**next);
    }
    REQUIRE(seen.size() == 2);
    CHECK(seen[0].bytes == "abc");
    CHECK_FALSE(seen[0].isErr);
    CHECK(seen[1].bytes == "oops\n");
    CHECK(seen[1].isErr);
}

TEST_CASE("an abandoned session is closed and its marked processes swept as mpiuser", "[jobs][shell]") {
    Engine engine;
    auto stream = std::make_shared<FakeByteStream>();
    engine.transport->expectJson("POST", "/v1.41/containers/c1/exec", 201, R"({"Id":"e3"})");
    engine.transport->expectHijack("/v1.41/exec/e3/start", FakeReply{101, {}, {}}, stream);
    jobs::ShellRequest request;
    request.tty = true;
    request.attachStdin = true;
    auto shell = jobs::openShell(engine.shared(), "c1", request);
    REQUIRE(shell);
    std::string session = sessionIdOf(nlohmann::json::parse(engine.transport->requests.back().body));
    REQUIRE_FALSE(session.empty());

    engine.transport->expectJson("POST", "/v1.41/containers/c1/exec", 201, R"({"Id":"sweep"})");
    engine.transport->expect("POST", "/v1.41/exec/sweep/start", FakeReply{200, {}, {}});
    engine.transport->expectJson("GET", "/v1.41/exec/sweep/json", 200, R"({"Running":false,"ExitCode":0})");
    (*shell)->abandon();
    CHECK(stream->closed());
    auto sweep = nlohmann::json::parse(engine.transport->requestsTo("POST", "/v1.41/containers/c1/exec").back().body);
    CHECK(sweep["User"] == "mpiuser");
    CHECK(sweep["Cmd"] == nlohmann::json(jobs::sessionSweepArgv(session)));
    CHECK(sweep["Cmd"].back() == session);  // the id is an argument, never inside the script
    CHECK(sweep["Cmd"][2].get<std::string>().find(session) == std::string::npos);
    auto after = (*shell)->readOutput();  // a closed stream reads as ended
    REQUIRE(after);
    CHECK_FALSE(after->has_value());
}

TEST_CASE("an exec the engine refuses to start is an error naming the request", "[jobs][shell]") {
    Engine engine;
    engine.transport->expectJson("POST", "/v1.41/containers/c1/exec", 201, R"({"Id":"e4"})");
    engine.transport->expectHijack("/v1.41/exec/e4/start", FakeReply{409, {}, {R"({"message":"container c1 is not running"})"}});
    auto shell = jobs::openShell(engine.shared(), "c1", jobs::ShellRequest{});
    REQUIRE_FALSE(shell);
    CHECK(shell.error().code == ErrorCode::conflict);
    CHECK(shell.error().message == "open a shell: POST /exec/e4/start: engine 409: container c1 is not running");

    engine.transport->expectJson("POST", "/v1.41/containers/gone/exec", 404, R"({"message":"No such container: gone"})");
    auto missing = jobs::openShell(engine.shared(), "gone", jobs::ShellRequest{});
    REQUIRE_FALSE(missing);
    CHECK(missing.error().code == ErrorCode::notFound);
}

TEST_CASE("shell requests are checked before anything is asked of the engine", "[jobs][shell]") {
    jobs::ShellRequest request;
    CHECK(jobs::validateShellRequest(request));
    request.tty = true;
    CHECK_FALSE(jobs::validateShellRequest(request));  // a terminal needs input
    request.attachStdin = true;
    CHECK(jobs::validateShellRequest(request));
    request.cluster = "no/slash";
    CHECK_FALSE(jobs::validateShellRequest(request));
    request.cluster = "demo";
    request.term = "vt100 ";
    CHECK_FALSE(jobs::validateShellRequest(request));
    request.term = "screen.xterm-256color";
    CHECK(jobs::validateShellRequest(request));
    request.command.assign(4097, "x");
    CHECK_FALSE(jobs::validateShellRequest(request));
}
