// ssh:// engines: the ssh command line ppcs builds, and the real transport over a stand-in for ssh
// (tests/support/fake_ssh.cpp) that relays to an in-process engine on a unix socket, as `docker
// system dial-stdio` does on the far side: a request, a chunked upload and a hijacked stream go
// through; a refused key gives ssh's own words in one line; an ssh that never answers times out.
// Every ssh process is reaped when its exchange ends and holds no descriptor but its own three.

#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <future>
#include <sstream>

#include "common/strings.h"
#include "docker/ssh_process.h"
#include "docker/transport.h"
#include "support/scratch_dir.h"
#include "support/unix_listener.h"

using namespace ppcs;
using namespace ppcs::docker;

namespace {

model::EngineEndpoint sshEndpoint(const std::string& text) {
    auto endpoint = model::parseEngineEndpoint(text);
    REQUIRE(endpoint);
    return *endpoint;
}

// Reads from connection until the end of an HTTP header (and returns what came).
std::string readHeader(int connection) {
    std::string bytes;
    char c;
    while (bytes.find("\r\n\r\n") == std::string::npos && ::read(connection, &c, 1) == 1) bytes.push_back(c);
    return bytes;
}

void writeAll(int connection, const std::string& bytes) { (void)::send(connection, bytes.data(), bytes.size(), MSG_NOSIGNAL); }

std::string readToEnd(int connection) {
    std::string bytes;
    char buffer[4096];
    ssize_t got;
    while ((got = ::read(connection, buffer, sizeof buffer)) > 0) bytes.append(buffer, static_cast<std::size_t>(got));
    return bytes;
}

// An engine on a unix socket that serves one connection with serve(connection) on its own thread.
class OneConnectionEngine {
public:
    explicit OneConnectionEngine(std::function<std::string(int)> serve) {
        path_ = dir_.path + "/engine.sock";
        listener_ = ppcs::testing::listenOnUnixSocket(path_);
        served_ = std::async(std::launch::async, [this, serve] {
            int connection = ::accept(listener_, nullptr, nullptr);
            if (connection < 0) return std::string();
            std::string seen = serve(connection);
            ::close(connection);
            return seen;
        });
    }
    ~OneConnectionEngine() {
        ::shutdown(listener_, SHUT_RDWR);
        ::close(listener_);
    }
    const std::string& path() const { return path_; }
    // What serve returned: what the engine saw.
    std::string seen() { return served_.get(); }

private:
    ppcs::testing::ScratchDir dir_{"ppcs-ssh-engine"};
    std::string path_;
    int listener_ = -1;
    std::future<std::string> served_;
};

// The stand-in's environment for one test, undone at the end; the record of its runs.
class FakeSsh {
public:
    explicit FakeSsh(const std::string& mode, const std::string& socket = "") {
        ::setenv("FAKE_SSH_MODE", mode.c_str(), 1);
        ::setenv("FAKE_SSH_SOCKET", socket.c_str(), 1);
        ::setenv("FAKE_SSH_RECORD", (dir_.path + "/record").c_str(), 1);
    }
    ~FakeSsh() {
        for (const char* name : {"FAKE_SSH_MODE", "FAKE_SSH_SOCKET", "FAKE_SSH_RECORD"}) ::unsetenv(name);
    }
    std::shared_ptr<Transport> transport(const std::string& endpoint = "ssh://root@10.9.8.7:2222") const {
        auto made = makeSshTransport(sshEndpoint(endpoint), PPCS_FAKE_SSH_PATH);
        REQUIRE(made);
        return *made;
    }
    // The runs' lines: pid, argv..., ".".
    std::vector<std::string> record() const {
        std::ifstream in(dir_.path + "/record");
        std::stringstream text;
        text << in.rdbuf();
        return split(text.str(), '\n');
    }
    // Every run's process is gone (reaped: not even a zombie is left).
    void checkAllReaped() const {
        auto lines = record();
        bool first = true;
        for (const auto& line : lines) {
            if (first && !line.empty()) {
                pid_t pid = static_cast<pid_t>(std::stol(line));
                INFO("fake ssh " << pid);
                CHECK(::kill(pid, 0) != 0);
                CHECK(errno == ESRCH);
            }
            first = line == ".";
        }
    }

private:
    ppcs::testing::ScratchDir dir_{"ppcs-fake-ssh"};
};

HttpRequest request(const std::string& method, const std::string& target, int seconds = 10) {
    HttpRequest made;
    made.method = method;
    made.target = target;
    made.idleTimeout = std::chrono::seconds(seconds);
    return made;
}

}  // namespace

TEST_CASE("the ssh command never prompts, keeps host key checking and ends options before the host", "[docker][ssh]") {
    auto plain = sshArgv(sshEndpoint("ssh://engine.example"), std::chrono::seconds(10));
    std::string line = join(plain, " ");
    CHECK(plain.front() == "ssh");
    CHECK(line.find("-o BatchMode=yes") != std::string::npos);
    CHECK(line.find("-o ConnectTimeout=10") != std::string::npos);
    CHECK(line.find("StrictHostKeyChecking") == std::string::npos);
    CHECK(line.find(" -l ") == std::string::npos);
    CHECK(line.find(" -p ") == std::string::npos);
    CHECK(line.find(" -i ") == std::string::npos);
    std::string tail = "-a -- engine.example docker system dial-stdio";
    CHECK(line.substr(line.size() - tail.size()) == tail);

    auto endpoint = sshEndpoint("ssh://ann@[fd00::7]:2222");
    endpoint.ssh = model::SshOptions{"/keys/id_ed25519", "/keys/known_hosts"};
    auto full = sshArgv(endpoint, std::chrono::seconds(0), "/usr/bin/ssh");
    line = join(full, " ");
    CHECK(full.front() == "/usr/bin/ssh");
    CHECK(line.find("-o ConnectTimeout=1 ") != std::string::npos);
    CHECK(line.find("-i /keys/id_ed25519 -o IdentitiesOnly=yes") != std::string::npos);
    CHECK(line.find("-o UserKnownHostsFile=/keys/known_hosts") != std::string::npos);
    CHECK(line.find("-l ann -p 2222 -- fd00::7 docker system dial-stdio") != std::string::npos);
}

TEST_CASE("a request goes over ssh to the engine and the ssh process is reaped", "[docker][ssh]") {
    OneConnectionEngine engine([](int connection) {
        std::string header = readHeader(connection);
        writeAll(connection, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nApi-Version: 1.41\r\n\r\nOK");
        return header;
    });
    FakeSsh fake("relay", engine.path());
    auto transport = fake.transport();
    CHECK(transport->endpoint() == "ssh://root@10.9.8.7:2222");
    auto reply = transport->send(request("GET", "/_ping"));
    INFO((reply ? "" : reply.error().message));
    REQUIRE(reply);
    CHECK(reply->status == 200);
    CHECK(reply->body == "OK");
    CHECK(engine.seen().find("GET /_ping HTTP/1.1") == 0);
    auto record = join(fake.record(), " ");
    CHECK(record.find("-l root -p 2222 -- 10.9.8.7 docker system dial-stdio") != std::string::npos);
    // Only its standard streams: none of the caller's descriptors leak into a long-lived ssh.
    CHECK(record.find(" fds 0 1 2 ") != std::string::npos);
    fake.checkAllReaped();
}

TEST_CASE("a chunked upload over ssh ends with the final chunk", "[docker][ssh]") {
    OneConnectionEngine engine([](int connection) {
        std::string bytes = readHeader(connection);
        char c;
        while (bytes.find("\r\n0\r\n\r\n") == std::string::npos && ::read(connection, &c, 1) == 1) bytes.push_back(c);
        writeAll(connection, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        return bytes;
    });
    FakeSsh fake("relay", engine.path());
    int calls = 0;
    auto reply = fake.transport()->upload(request("PUT", "/containers/c/archive?path=%2Ftmp"),
                                          [&calls](std::string& piece) -> Result<bool> {
                                              piece = "piece-" + std::to_string(++calls);
                                              return calls < 3;
                                          });
    INFO((reply ? "" : reply.error().message));
    REQUIRE(reply);
    CHECK(reply->status == 200);
    std::string seen = engine.seen();
    CHECK(seen.find("piece-3") != std::string::npos);
    fake.checkAllReaped();
}

TEST_CASE("a stream hijacked over ssh carries bytes both ways and its end of input reaches the engine", "[docker][ssh]") {
    OneConnectionEngine engine([](int connection) {
        readHeader(connection);
        writeAll(connection, "HTTP/1.1 101 UPGRADED\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\nhello ");
        std::string input = readToEnd(connection);  // until the client's end of input
        writeAll(connection, "got " + input);
        return input;
    });
    FakeSsh fake("relay", engine.path());
    auto hijacked = fake.transport()->hijack(request("POST", "/exec/e/start"));
    INFO((hijacked ? "" : hijacked.error().message));
    REQUIRE(hijacked);
    CHECK(hijacked->response.status == 101);
    REQUIRE(hijacked->stream);
    REQUIRE(hijacked->stream->write("ping"));
    hijacked->stream->closeWrite();
    std::string output;
    char piece[256];
    while (true) {
        auto read = hijacked->stream->read(piece, sizeof piece);
        REQUIRE(read);
        if (*read == 0) break;
        output.append(piece, *read);
    }
    CHECK(output == "hello got ping");
    CHECK(engine.seen() == "ping");
    hijacked->stream.reset();
    fake.checkAllReaped();
}

TEST_CASE("a key ssh cannot log in with fails in one line with ssh's words", "[docker][ssh]") {
    FakeSsh fake("refuse");
    auto reply = fake.transport()->send(request("GET", "/_ping"));
    REQUIRE_FALSE(reply);
    INFO(reply.error().message);
    CHECK(reply.error().message.find("ssh to the docker engine at ssh://root@10.9.8.7:2222 failed") != std::string::npos);
    CHECK(reply.error().message.find("Permission denied (publickey)") != std::string::npos);
    CHECK(reply.error().message.find("exit status 255") != std::string::npos);
    CHECK(reply.error().message.find('\n') == std::string::npos);
    fake.checkAllReaped();
}

TEST_CASE("an ssh that never answers times out and is killed", "[docker][ssh]") {
    FakeSsh fake("hang");
    auto reply = fake.transport()->send(request("GET", "/_ping", 1));
    REQUIRE_FALSE(reply);
    INFO(reply.error().message);
    CHECK(reply.error().code == ErrorCode::timeout);
    CHECK(reply.error().message.find("went silent") != std::string::npos);
    fake.checkAllReaped();
}

TEST_CASE("an ssh key or known_hosts file that cannot be read, or no ssh program, is named", "[docker][ssh]") {
    auto endpoint = sshEndpoint("ssh://root@10.9.8.7");
    endpoint.ssh.identityFile = "/nonexistent/id_ed25519";
    auto made = makeTransport(endpoint);
    REQUIRE_FALSE(made);
    CHECK(made.error().message.find("cannot read the ssh key /nonexistent/id_ed25519") != std::string::npos);
    endpoint.ssh = model::SshOptions{"", "/nonexistent/known_hosts"};
    made = makeTransport(endpoint);
    REQUIRE_FALSE(made);
    CHECK(made.error().message.find("cannot read the known_hosts file /nonexistent/known_hosts") != std::string::npos);
    auto missing = makeSshTransport(sshEndpoint("ssh://root@10.9.8.7"), "/nonexistent/ssh");
    REQUIRE(missing);
    auto reply = (*missing)->send(request("GET", "/_ping"));
    REQUIRE_FALSE(reply);
    CHECK(reply.error().message.find("cannot run /nonexistent/ssh") != std::string::npos);
}

TEST_CASE("an engine that ends the connection over ssh without a reply is said to have done so", "[docker][ssh]") {
    OneConnectionEngine engine([](int connection) { return readHeader(connection); });
    FakeSsh fake("relay", engine.path());
    auto reply = fake.transport()->send(request("GET", "/_ping"));
    REQUIRE_FALSE(reply);
    INFO(reply.error().message);
    CHECK(reply.error().message.find("the docker engine at ssh://root@10.9.8.7:2222 (over ssh) ended the connection") !=
          std::string::npos);
    fake.checkAllReaped();
}

TEST_CASE("ssh start slots run out, and come back when a slot is given back", "[docker][ssh]") {
    SshStartSlots slots(2);
    auto first = slots.acquire(std::chrono::seconds(0));
    auto second = slots.acquire(std::chrono::seconds(0));
    CHECK(first);
    CHECK(second);
    CHECK_FALSE(slots.acquire(std::chrono::seconds(0)));
    auto waiting = std::async(std::launch::async, [&slots] { return slots.acquire(std::chrono::seconds(10)) != nullptr; });
    first.reset();
    CHECK(waiting.get());
}
