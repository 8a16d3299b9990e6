// Beast over a unix socket. Every operation is asynchronous and run on a private io_context for a
// bounded time, because Asio's synchronous socket calls cannot time out.

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <limits>
#include <optional>

#include "common/strings.h"
#include "docker/transport.h"

namespace ppcs::docker {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using LocalSocket = asio::local::stream_protocol::socket;
using ErrorCodeT = boost::system::error_code;

class Exchange {
public:
    explicit Exchange(std::chrono::seconds limit) : limit_(limit) {}

    // Runs one asynchronous operation to completion or until the time limit; on timeout the socket
    // is closed and asio::error::timed_out returned.
    template <class StartOperation>
    ErrorCodeT await(StartOperation start) {
        std::optional<ErrorCodeT> outcome;
        start([&outcome](ErrorCodeT ec, auto&&...) { outcome = ec; });
        io_.restart();
        io_.run_for(limit_);
        if (outcome) return *outcome;
        ErrorCodeT ignored;
        socket_.close(ignored);
        io_.restart();
        io_.run();
        return asio::error::timed_out;
    }

    LocalSocket& socket() { return socket_; }

private:
    std::chrono::seconds limit_;
    asio::io_context io_;
    LocalSocket socket_{io_};
};

Error connectError(const std::string& path, const ErrorCodeT& ec) {
    if (ec == asio::error::access_denied)
        return makeError(ErrorCode::permissionDenied,
                         "permission denied on the docker socket unix://" + path + " (run as root or join the docker group)");
    if (ec == asio::error::timed_out)
        return makeError(ErrorCode::timeout, "docker engine at unix://" + path + " did not accept a connection in time");
    return makeError(ErrorCode::unavailable,
                     "cannot reach the docker engine at unix://" + path + ": " + ec.message() + " (is dockerd running?)");
}

Error ioError(const char* phase, const ErrorCodeT& ec) {
    if (ec == asio::error::timed_out) return makeError(ErrorCode::timeout, std::string(phase) + ": engine went silent");
    return makeError(ErrorCode::unavailable, std::string(phase) + ": " + ec.message());
}

class UnixSocketTransport final : public Transport {
public:
    explicit UnixSocketTransport(std::string path) : path_(std::move(path)) {}

    std::string endpoint() const override { return "unix://" + path_; }

    Result<HttpResponse> send(const HttpRequest& request) override {
        std::string body;
        auto response = stream(request, [&body](std::string_view piece) {
            body.append(piece);
            return true;
        });
        if (response && response->status < 300) response->body = std::move(body);
        return response;
    }

    Result<HttpResponse> stream(const HttpRequest& request, const BodySink& sink) override {
        Exchange exchange(request.idleTimeout);
        auto sent = connectAndSend(exchange, request);
        if (!sent) return sent.error();
        return readReply(exchange, sink);
    }

private:
    Status connectAndSend(Exchange& exchange, const HttpRequest& request) {
        asio::local::stream_protocol::endpoint where(path_);
        auto ec = exchange.await([&](auto handler) { exchange.socket().async_connect(where, handler); });
        if (ec) return connectError(path_, ec);
        http::request<http::string_body> message{http::string_to_verb(request.method), request.target, 11};
        message.set(http::field::host, "docker");
        message.set(http::field::user_agent, "ppcs-cluster");
        if (!request.body.empty() || request.method == "POST" || request.method == "PUT") {
            message.set(http::field::content_type, request.contentType);
            message.body() = request.body;
        }
        message.prepare_payload();
        ec = exchange.await([&](auto handler) { http::async_write(exchange.socket(), message, handler); });
        if (ec) return ioError("send request", ec);
        return {};
    }

    Result<HttpResponse> readReply(Exchange& exchange, const BodySink& sink) {
        http::response_parser<http::buffer_body> parser;
        parser.body_limit(std::numeric_limits<std::uint64_t>::max());
        boost::beast::flat_buffer buffer;
        auto ec = exchange.await([&](auto handler) { http::async_read_header(exchange.socket(), buffer, parser, handler); });
        if (ec) return ioError("read reply header", ec);
        HttpResponse response;
        response.status = static_cast<int>(parser.get().result_int());
        for (const auto& field : parser.get()) {
            std::string name(field.name_string());
            for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            response.headers[name] = std::string(field.value());
        }
        bool deliverToSink = response.status < 300;
        std::string chunk(64 * 1024, '\0');
        while (!parser.is_done()) {
            parser.get().body().data = chunk.data();
            parser.get().body().size = chunk.size();
            ec = exchange.await([&](auto handler) { http::async_read_some(exchange.socket(), buffer, parser, handler); });
            if (ec == http::error::need_buffer) ec = {};
            if (ec) return ioError("read reply body", ec);
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

    std::string path_;
};

}  // namespace

Result<std::string> socketPathFromDockerHost(const char* dockerHost) {
    if (dockerHost == nullptr || *dockerHost == '\0') return std::string("/var/run/docker.sock");
    std::string_view value(dockerHost);
    if (startsWith(value, "unix://") && value.size() > 7) return std::string(value.substr(7));
    return makeError(ErrorCode::usage, "DOCKER_HOST='" + std::string(value) + "' is not supported: use unix:///path/to/docker.sock");
}

std::shared_ptr<Transport> makeUnixSocketTransport(std::string socketPath) {
    return std::make_shared<UnixSocketTransport>(std::move(socketPath));
}

}  // namespace ppcs::docker
