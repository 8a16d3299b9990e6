// Beast over a unix socket, TCP, TLS over TCP, or an ssh process's standard input and output. Every operation is asynchronous and
// run on a private io_context for a bounded time, because Asio's synchronous socket calls cannot time out.

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <cstring>
#include <limits>
#include <optional>
#include <type_traits>

#include "common/strings.h"
#include "docker/ssh_process.h"
#include "docker/tls.h"
#include "docker/transport.h"

namespace ppcs::docker {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using ErrorCodeT = boost::system::error_code;

// One connection's worth of asynchronous operations, each bounded by the idle limit.
template <class Socket>
class Exchange {
public:
    // extra: what Socket's constructor takes after the io_context (a TLS socket: its context).
    template <class... Extra>
    explicit Exchange(std::chrono::seconds limit, Extra&... extra)
        : limit_(limit), io_(std::make_unique<asio::io_context>()), socket_(std::make_unique<Socket>(*io_, extra...)) {}

    // Runs one asynchronous operation to completion or until the time limit; on timeout the socket
    // is closed and asio::error::timed_out returned.
    template <class StartOperation>
    ErrorCodeT await(StartOperation start) {
        std::optional<ErrorCodeT> outcome;
        start([&outcome](ErrorCodeT ec, auto&&...) { outcome = ec; });
        io_->restart();
        io_->run_for(limit_);
        if (outcome) return *outcome;
        ErrorCodeT ignored;
        socket_->lowest_layer().close(ignored);
        io_->restart();
        io_->run();
        return asio::error::timed_out;
    }

    Socket& socket() { return *socket_; }
    asio::io_context& io() { return *io_; }
    std::chrono::seconds limit() const { return limit_; }
    // Hands the connection over (a hijacked stream keeps it); the exchange is unusable after.
    std::pair<std::unique_ptr<asio::io_context>, std::unique_ptr<Socket>> release() {
        return {std::move(io_), std::move(socket_)};
    }

private:
    std::chrono::seconds limit_;
    std::unique_ptr<asio::io_context> io_;
    std::unique_ptr<Socket> socket_;
};

template <class Socket>
inline constexpr bool kIsTls = std::is_same_v<Socket, TlsSocket>;

// Our end of an ssh process's socket pair, which owns the process: the connection ends (and the
// process is ended and reaped) when the socket goes.
class SshSocket : public asio::local::stream_protocol::socket {
public:
    using asio::local::stream_protocol::socket::socket;
    std::unique_ptr<SshProcess> process;
    std::unique_ptr<SshStartSlots::Slot> starting;  // held until the reply header arrives
};

template <class Socket>
inline constexpr bool kIsSsh = std::is_same_v<Socket, SshSocket>;

// The most of a reply's body read at once, and handed to a sink as one piece.
constexpr std::size_t kReplyReadSize = 64 * 1024;

// How long a failed exchange waits for ssh to exit, so that what it said is complete.
constexpr auto kSshExitGrace = std::chrono::milliseconds(1500);
// ssh's ConnectTimeout: the request's idle limit, but no more than this (an image load allows
// minutes of silence; a host that does not answer should not take that long to say so).
constexpr auto kSshConnectLimit = std::chrono::seconds(30);
// ssh connections of one transport being set up at once: below sshd's default MaxStartups (10).
constexpr int kSshStartSlots = 8;

Error connectError(const std::string& where, const ErrorCodeT& ec) {
    if (ec == asio::error::access_denied)
        return makeError(ErrorCode::permissionDenied,
                         "permission denied on the docker socket " + where + " (run as root or join the docker group)");
    if (ec == asio::error::timed_out)
        return makeError(ErrorCode::timeout, "docker engine at " + where + " did not accept a connection in time");
    return makeError(ErrorCode::unavailable,
                     "cannot reach the docker engine at " + where + ": " + ec.message() + " (is dockerd running?)");
}

Error ioError(const char* phase, const ErrorCodeT& ec) {
    if (ec == asio::error::timed_out) return makeError(ErrorCode::timeout, std::string(phase) + ": engine went silent");
    return makeError(ErrorCode::unavailable, std::string(phase) + ": " + ec.message());
}

ErrorCodeT connectTo(Exchange<asio::local::stream_protocol::socket>& exchange, const EngineEndpoint& endpoint) {
    asio::local::stream_protocol::endpoint where(endpoint.path);
    return exchange.await([&](auto handler) { exchange.socket().async_connect(where, handler); });
}

// socket is exchange's own TCP socket, or the one under its TLS.
template <class Socket>
ErrorCodeT connectTcp(Exchange<Socket>& exchange, asio::ip::tcp::socket& socket, const EngineEndpoint& endpoint) {
    // An address needs no lookup. A name does, and a lookup cannot be cut short once started
    // (getaddrinfo bounds it), so addresses are the better way to name engines.
    ErrorCodeT notAnAddress;
    auto address = asio::ip::make_address(endpoint.host, notAnAddress);
    if (!notAnAddress) {
        asio::ip::tcp::endpoint where(address, endpoint.port);
        return exchange.await([&](auto handler) { socket.async_connect(where, handler); });
    }
    asio::ip::tcp::resolver resolver(exchange.io());
    asio::ip::tcp::resolver::results_type addresses;
    auto ec = exchange.await([&](auto handler) {
        resolver.async_resolve(endpoint.host, std::to_string(endpoint.port),
                               [&addresses, handler](ErrorCodeT error, auto results) mutable {
                                   addresses = results;
                                   handler(error);
                               });
    });
    if (ec) return ec;
    return exchange.await([&](auto handler) { asio::async_connect(socket, addresses, handler); });
}

ErrorCodeT connectTo(Exchange<asio::ip::tcp::socket>& exchange, const EngineEndpoint& endpoint) {
    return connectTcp(exchange, exchange.socket(), endpoint);
}

http::request_header<> requestHeader(const HttpRequest& request) {
    http::request_header<> header;
    header.method(http::string_to_verb(request.method));
    header.target(request.target);
    header.version(11);
    header.set(http::field::host, "docker");
    header.set(http::field::user_agent, "ppcs-cluster");
    if (!request.body.empty() || request.method == "POST" || request.method == "PUT")
        header.set(http::field::content_type, request.contentType);
    for (const auto& [name, value] : request.headers) header.set(name, value);
    return header;
}

// Runs read(sink) with a sink that collects the reply body; a successful reply carries it whole.
template <class Read>
Result<HttpResponse> collectBody(Read read) {
    std::string body;
    auto response = read([&body](std::string_view piece) {
        body.append(piece);
        return true;
    });
    if (response && response->status < 300) response->body = std::move(body);
    return response;
}

// A hijacked connection as a plain blocking socket: bytes the reply's header read brought along
// come first. Reads and writes are plain recv/send, so one thread can read while another writes;
// close() shuts the socket down, which ends a blocked recv at once, and the destructor closes it.
class SocketByteStream final : public ByteStream {
public:
    // process: the ssh whose standard input and output the socket is, ended after the socket closes.
    SocketByteStream(int socket, std::string early, std::unique_ptr<SshProcess> process = nullptr)
        : socket_(socket), early_(std::move(early)), process_(std::move(process)) {
        int flags = ::fcntl(socket_, F_GETFL);
        if (flags >= 0) ::fcntl(socket_, F_SETFL, flags & ~O_NONBLOCK);
    }
    ~SocketByteStream() override { ::close(socket_); }
    SocketByteStream(const SocketByteStream&) = delete;
    SocketByteStream& operator=(const SocketByteStream&) = delete;

    Result<std::size_t> read(char* data, std::size_t size) override {
        if (!early_.empty()) return takeEarly(early_, data, size);
        if (closed_) return std::size_t{0};
        ssize_t got;
        do got = ::recv(socket_, data, size, 0);
        while (got < 0 && errno == EINTR);
        if (got < 0)
            return closed_ ? Result<std::size_t>(std::size_t{0})
                           : makeError(ErrorCode::unavailable, std::string("read attached stream: ") + std::strerror(errno));
        return static_cast<std::size_t>(got);
    }

    Status write(std::string_view bytes) override {
        while (!bytes.empty()) {
            ssize_t sent = ::send(socket_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
            if (sent < 0 && errno == EINTR) continue;
            if (sent < 0) return makeError(ErrorCode::unavailable, std::string("write attached stream: ") + std::strerror(errno));
            bytes.remove_prefix(static_cast<std::size_t>(sent));
        }
        return {};
    }

    void closeWrite() override { ::shutdown(socket_, SHUT_WR); }

    void close() override {
        closed_ = true;
        ::shutdown(socket_, SHUT_RDWR);
    }

private:
    int socket_;
    std::string early_;  // read only by the reading thread
    std::atomic<bool> closed_{false};
    std::unique_ptr<SshProcess> process_;
};

template <class Socket>
class BeastTransport final : public Transport {
public:
    // context: for a TLS socket, the one made from endpoint's TLS files.
    // sshProgram: for ssh, the program to run (ssh, or a test's stand-in).
    explicit BeastTransport(EngineEndpoint endpoint, std::shared_ptr<asio::ssl::context> context = nullptr,
                            std::string sshProgram = "ssh")
        : endpoint_(std::move(endpoint)), context_(std::move(context)), sshProgram_(std::move(sshProgram)) {}

    std::string endpoint() const override { return endpoint_.text(); }

    Result<HttpResponse> send(const HttpRequest& request) override {
        return collectBody([&](const BodySink& sink) { return stream(request, sink); });
    }

    Result<HttpResponse> stream(const HttpRequest& request, const BodySink& sink) override {
        auto exchange = newExchange(request.idleTimeout);
        if (auto opened = open(exchange); !opened) return opened.error();
        http::request<http::string_body> message{requestHeader(request)};
        if (!request.body.empty() || request.method == "POST" || request.method == "PUT") message.body() = request.body;
        message.prepare_payload();
        auto ec = exchange.await([&](auto handler) { http::async_write(exchange.socket(), message, handler); });
        if (ec) return ioFailure(exchange, "send request", ec);
        return readReply(exchange, sink);
    }

    Result<HttpResponse> upload(const HttpRequest& request, const BodySource& source) override {
        auto exchange = newExchange(request.idleTimeout);
        if (auto opened = open(exchange); !opened) return opened.error();
        std::optional<Error> sourceFailed;
        auto sent = sendChunked(exchange, request, source, sourceFailed);
        // Returning closes the socket (the exchange ends) with the body unfinished.
        if (sourceFailed) return *sourceFailed;
        auto reply = collectBody([&](const BodySink& sink) { return readReply(exchange, sink); });
        if (sent) return reply;
        // The engine stopped reading the body: its reply, when it sent one, says why.
        if (reply && reply->status >= 300) return reply;
        return sent.error();
    }

    Result<Hijacked> hijack(const HttpRequest& request) override {
        auto exchange = newExchange(request.idleTimeout);
        if (auto opened = open(exchange); !opened) return opened.error();
        http::request<http::string_body> message{requestHeader(request)};
        message.set(http::field::connection, "Upgrade");
        message.set(http::field::upgrade, "tcp");
        message.body() = request.body;
        message.prepare_payload();
        auto ec = exchange.await([&](auto handler) { http::async_write(exchange.socket(), message, handler); });
        if (ec) return ioFailure(exchange, "send request", ec);
        http::response_parser<http::empty_body> parser;
        boost::beast::flat_buffer buffer;
        ec = exchange.await([&](auto handler) { http::async_read_header(exchange.socket(), buffer, parser, handler); });
        if (ec) return ioFailure(exchange, "read reply header", ec);
        started(exchange);
        Hijacked hijacked;
        hijacked.response.status = static_cast<int>(parser.get().result_int());
        for (const auto& field : parser.get()) {
            std::string name(field.name_string());
            for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            hijacked.response.headers[name] = std::string(field.value());
        }
        std::string early(static_cast<const char*>(buffer.data().data()), buffer.size());
        if (hijacked.response.status >= 300) {
            // An error reply: its body (JSON, short) says why.
            hijacked.response.body = readRemainingBody(exchange, std::move(early), parser);
            return hijacked;
        }
        if constexpr (kIsTls<Socket>) {
            auto [io, socket] = exchange.release();
            hijacked.stream = makeTlsByteStream(std::move(io), std::move(socket), context_, std::move(early));
        } else if constexpr (kIsSsh<Socket>) {
            auto process = std::move(exchange.socket().process);
            hijacked.stream =
                std::make_unique<SocketByteStream>(exchange.socket().release(), std::move(early), std::move(process));
        } else {
            hijacked.stream = std::make_unique<SocketByteStream>(exchange.socket().release(), std::move(early));
        }
        return hijacked;
    }

private:
    Exchange<Socket> newExchange(std::chrono::seconds limit) {
        if constexpr (kIsTls<Socket>)
            return Exchange<Socket>(limit, *context_);
        else
            return Exchange<Socket>(limit);
    }

    // Connects, and over TLS shakes hands with the engine, checking its certificate.
    Status open(Exchange<Socket>& exchange) {
        if constexpr (kIsTls<Socket>) {
            if (auto ec = connectTcp(exchange, exchange.socket().next_layer(), endpoint_)) return connectError(endpoint(), ec);
            if (auto peer = expectPeer(exchange.socket().native_handle(), endpoint_.host); !peer) return peer;
            auto ec =
                exchange.await([&](auto handler) { exchange.socket().async_handshake(asio::ssl::stream_base::client, handler); });
            if (ec == asio::error::timed_out) return connectError(endpoint(), ec);
            if (ec)
                return makeError(ErrorCode::unavailable,
                                 "TLS with the docker engine at " + endpoint() + ": " +
                                     describeTlsFailure(exchange.socket().native_handle(), ec, *endpoint_.tls));
        } else if constexpr (kIsSsh<Socket>) {
            auto slot = sshStarts_->acquire(exchange.limit());
            if (!slot)
                return makeError(ErrorCode::timeout, "docker engine at " + endpoint() + ": " + std::to_string(kSshStartSlots) +
                                                         " ssh connections were being set up all the time");
            auto process = SshProcess::start(sshArgv(endpoint_, std::min(exchange.limit(), kSshConnectLimit), sshProgram_));
            if (!process) return process.error().context("docker engine at " + endpoint());
            ErrorCodeT ec;
            exchange.socket().assign(asio::local::stream_protocol(), (*process)->takeSocket(), ec);
            exchange.socket().process = std::move(*process);
            exchange.socket().starting = std::move(slot);
            if (ec) return makeError(ErrorCode::failed, "docker engine at " + endpoint() + ": " + ec.message());
        } else {
            if (auto ec = connectTo(exchange, endpoint_)) return connectError(endpoint(), ec);
        }
        return {};
    }

    // ioError(), with what went wrong in TLS said plainly (the engine refusing the client's
    // certificate shows first when its reply is read, under TLS 1.3).
    Error ioFailure(Exchange<Socket>& exchange, const char* phase, const ErrorCodeT& ec) {
        if constexpr (kIsSsh<Socket>) {
            // ssh says why it ended (no route, host key, refused key, no docker there); a
            // timeout leaves it running, and the exchange's end kills it.
            std::string said;
            if (exchange.socket().process) said = exchange.socket().process->failure(kSshExitGrace);
            if (!said.empty())
                return makeError(ErrorCode::unavailable, "ssh to the docker engine at " + endpoint() + " failed: " + said);
            if (ec == asio::error::timed_out)
                return makeError(ErrorCode::timeout,
                                 std::string(phase) + ": the docker engine at " + endpoint() + " (over ssh) went silent");
            return makeError(ErrorCode::unavailable, std::string(phase) + ": the docker engine at " + endpoint() +
                                                         " (over ssh) ended the connection: " + ec.message());
        }
        if constexpr (kIsTls<Socket>) {
            std::string where = std::string(phase) + ": TLS with the docker engine at " + endpoint() + ": ";
            if (isTlsError(ec)) return makeError(ErrorCode::unavailable, where + describeTlsFailure(nullptr, ec, *endpoint_.tls));
            // Each connection carries one request, so this is just after the handshake: under TLS
            // 1.3 an engine that refuses the client's certificate says so after its side of the
            // handshake, and its alert is often lost in the reset that follows our request.
            std::string_view at(phase);
            bool beforeReply = at == "send request" || at == "send request header" || at == "read reply header";
            if (beforeReply && (ec == asio::error::connection_reset || ec == asio::error::broken_pipe || ec == asio::error::eof))
                return makeError(ErrorCode::unavailable, where + "the engine closed the connection (" + ec.message() +
                                                             "): it may not accept the client certificate " +
                                                             endpoint_.tls->certFile + " (signed by a CA it does not trust?)");
        }
        return ioError(phase, ec);
    }

    // The rest of an error reply's body after its header: what the header read brought along,
    // then up to Content-Length more bytes (bounded, 64 KiB) or until the engine closes.
    std::string readRemainingBody(Exchange<Socket>& exchange, std::string early,
                                  http::response_parser<http::empty_body>& parser) {
        std::string body = std::move(early);
        std::size_t expected = 64 * 1024;
        if (auto length = parser.content_length()) expected = std::min<std::size_t>(*length, expected);
        std::string chunk(4096, '\0');
        while (body.size() < expected) {
            std::size_t got = 0;
            auto ec = exchange.await([&](auto handler) {
                exchange.socket().async_read_some(asio::buffer(chunk),
                                                  [&got, handler](ErrorCodeT error, std::size_t count) mutable {
                                                      got = count;
                                                      handler(error);
                                                  });
            });
            body.append(chunk.data(), got);
            if (ec) break;
        }
        if (body.size() > expected) body.resize(expected);
        return body;
    }

    // Sends the header and the body from source. A failure of source itself is put in sourceFailed.
    Status sendChunked(Exchange<Socket>& exchange, const HttpRequest& request, const BodySource& source,
                       std::optional<Error>& sourceFailed) {
        http::request<http::buffer_body> message{requestHeader(request)};
        message.chunked(true);
        message.body().data = nullptr;
        message.body().more = true;
        http::request_serializer<http::buffer_body> serializer{message};
        auto ec = exchange.await([&](auto handler) { http::async_write_header(exchange.socket(), serializer, handler); });
        if (ec) return ioFailure(exchange, "send request header", ec);
        std::string piece;
        while (true) {
            piece.clear();
            auto next = source(piece);
            if (!next) {
                sourceFailed = next.error();
                return next.error();
            }
            bool more = *next;
            if (!more && piece.empty()) break;
            if (piece.empty()) continue;
            message.body().data = piece.data();
            message.body().size = piece.size();
            message.body().more = true;
            ec = exchange.await([&](auto handler) { http::async_write(exchange.socket(), serializer, handler); });
            if (ec == http::error::need_buffer) ec = {};
            if (ec) return ioFailure(exchange, "send request body", ec);
            if (!more) break;
        }
        message.body().data = nullptr;
        message.body().size = 0;
        message.body().more = false;
        ec = exchange.await([&](auto handler) { http::async_write(exchange.socket(), serializer, handler); });
        if (ec) return ioFailure(exchange, "finish request body", ec);
        return {};
    }

    Result<HttpResponse> readReply(Exchange<Socket>& exchange, const BodySink& sink) {
        http::response_parser<http::buffer_body> parser;
        parser.body_limit(std::numeric_limits<std::uint64_t>::max());
        // Beast reads as much as the buffer has room for (at least 512 bytes): left at the size the
        // header needed, a body came in a few hundred bytes per read (518 from dockerd), an image's
        // 620 MB in over a million reads, each forwarded to a load as a chunk of its own.
        boost::beast::flat_buffer buffer;
        buffer.reserve(kReplyReadSize);
        auto ec = exchange.await([&](auto handler) { http::async_read_header(exchange.socket(), buffer, parser, handler); });
        if (ec) return ioFailure(exchange, "read reply header", ec);
        started(exchange);
        HttpResponse response;
        response.status = static_cast<int>(parser.get().result_int());
        for (const auto& field : parser.get()) {
            std::string name(field.name_string());
            for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            response.headers[name] = std::string(field.value());
        }
        bool deliverToSink = response.status < 300;
        std::string chunk(kReplyReadSize, '\0');
        while (!parser.is_done()) {
            parser.get().body().data = chunk.data();
            parser.get().body().size = chunk.size();
            ec = exchange.await([&](auto handler) { http::async_read_some(exchange.socket(), buffer, parser, handler); });
            if (ec == http::error::need_buffer) ec = {};
            if (ec) return ioFailure(exchange, "read reply body", ec);
            std::size_t got = chunk.size() - parser.get().body().size;
            if (got == 0) continue;
            std::string_view piece(chunk.data(), got);
            if (!deliverToSink) {
                response.body.append(piece);
            } else if (!sink(piece)) {
                break;
            }
        }
        return response;
    }

    // ssh set up, its slot given back: the engine answered, so ssh is logged in.
    static void started(Exchange<Socket>& exchange) {
        if constexpr (kIsSsh<Socket>) exchange.socket().starting.reset();
    }

    EngineEndpoint endpoint_;
    std::shared_ptr<asio::ssl::context> context_;
    std::string sshProgram_;
    std::shared_ptr<SshStartSlots> sshStarts_ = std::make_shared<SshStartSlots>(kSshStartSlots);
};

}  // namespace

Result<std::shared_ptr<Transport>> makeSshTransport(EngineEndpoint endpoint, std::string program) {
    if (auto readable = checkSshFiles(endpoint); !readable) return readable.error().context("engine " + endpoint.text());
    return std::shared_ptr<Transport>(
        std::make_shared<BeastTransport<SshSocket>>(std::move(endpoint), nullptr, std::move(program)));
}

Result<std::shared_ptr<Transport>> makeTransport(EngineEndpoint endpoint) {
    // The callers check this with a message that says what to set; this keeps any path from
    // speaking plain TCP by mistake.
    if (endpoint.plainTcp() && !endpoint.insecure)
        return makeError(ErrorCode::usage, "engine " + endpoint.text() + ": plain TCP without TLS is refused unless allowed");
    if (endpoint.kind == EngineEndpoint::Kind::ssh) return makeSshTransport(std::move(endpoint), "ssh");
    if (endpoint.kind == EngineEndpoint::Kind::unixSocket)
        return std::shared_ptr<Transport>(
            std::make_shared<BeastTransport<asio::local::stream_protocol::socket>>(std::move(endpoint)));
    if (!endpoint.tls)
        return std::shared_ptr<Transport>(std::make_shared<BeastTransport<asio::ip::tcp::socket>>(std::move(endpoint)));
    auto context = makeTlsContext(*endpoint.tls);
    if (!context) return context.error().context("engine " + endpoint.text());
    return std::shared_ptr<Transport>(std::make_shared<BeastTransport<TlsSocket>>(std::move(endpoint), std::move(*context)));
}

std::shared_ptr<Transport> makeUnixSocketTransport(std::string socketPath) {
    return std::make_shared<BeastTransport<asio::local::stream_protocol::socket>>(
        EngineEndpoint{EngineEndpoint::Kind::unixSocket, std::move(socketPath), "", 0, std::nullopt, false, "", {}});
}

}  // namespace ppcs::docker
