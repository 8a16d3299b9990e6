#include "docker/tls.h"

#include <dirent.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <future>
#include <thread>

namespace ppcs::docker {
namespace {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using ErrorCodeT = boost::system::error_code;

std::string directoryOf(const std::string& file) {
    auto slash = file.rfind('/');
    return slash == std::string::npos || slash == 0 ? "/" : file.substr(0, slash);
}

// Whether path can be opened for reading, and if not why (errno's words).
Status readable(const std::string& path, const std::string& what) {
    std::FILE* file = std::fopen(path.c_str(), "r");
    if (file == nullptr) return makeError(ErrorCode::usage, "cannot read the " + what + " " + path + ": " + std::strerror(errno));
    std::fclose(file);
    return {};
}

Status readableDirectory(const std::string& path) {
    DIR* directory = ::opendir(path.c_str());
    if (directory == nullptr)
        return makeError(ErrorCode::usage, "cannot read the TLS certificate directory " + path + ": " + std::strerror(errno));
    ::closedir(directory);
    return {};
}

Status loaded(const ErrorCodeT& ec, const std::string& what, const std::string& path) {
    if (!ec) return {};
    return makeError(ErrorCode::usage, "the " + what + " " + path + " cannot be used: " + ec.message());
}

}  // namespace

Result<std::shared_ptr<ssl::context>> makeTlsContext(const model::TlsFiles& files) {
    if (auto ok = readableDirectory(directoryOf(files.caFile)); !ok) return ok.error();
    for (const auto& [path, what] : {std::pair{files.caFile, "CA certificate"}, std::pair{files.certFile, "client certificate"},
                                     std::pair{files.keyFile, "client key"}})
        if (auto ok = readable(path, what); !ok) return ok.error();
    auto context = std::make_shared<ssl::context>(ssl::context::tls_client);
    ErrorCodeT ec;
    context->set_options(ssl::context::no_sslv2 | ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1, ec);
    context->set_verify_mode(ssl::verify_peer, ec);
    context->load_verify_file(files.caFile, ec);
    if (auto ok = loaded(ec, "CA certificate", files.caFile); !ok) return ok.error();
    context->use_certificate_chain_file(files.certFile, ec);
    if (auto ok = loaded(ec, "client certificate", files.certFile); !ok) return ok.error();
    context->use_private_key_file(files.keyFile, ssl::context::pem, ec);
    bool mismatch = ec && ec.category() == asio::error::get_ssl_category() &&
                    ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == X509_R_KEY_VALUES_MISMATCH;
    if (auto ok = loaded(ec, "client key", files.keyFile); !ok && !mismatch) return ok.error();
    if (mismatch || ::SSL_CTX_check_private_key(context->native_handle()) != 1)
        return makeError(ErrorCode::usage,
                         "the client key " + files.keyFile + " does not belong to the certificate " + files.certFile);
    return context;
}

Status expectPeer(SSL* ssl, const std::string& host) {
    ErrorCodeT notAnAddress;
    asio::ip::make_address(host, notAnAddress);
    X509_VERIFY_PARAM* param = ::SSL_get0_param(ssl);
    bool set = !notAnAddress ? ::X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) == 1
                             : ::SSL_set1_host(ssl, host.c_str()) == 1 && ::SSL_set_tlsext_host_name(ssl, host.c_str()) == 1;
    if (!set) return makeError(ErrorCode::usage, "cannot check a TLS certificate for the host '" + host + "'");
    return {};
}

bool isTlsError(const ErrorCodeT& ec) {
    return ec.category() == asio::error::get_ssl_category() || ec.category() == ssl::error::get_stream_category();
}

std::string describeTlsFailure(SSL* ssl, const ErrorCodeT& ec, const model::TlsFiles& files) {
    long verified = ssl == nullptr ? X509_V_OK : ::SSL_get_verify_result(ssl);
    if (verified == X509_V_ERR_HOSTNAME_MISMATCH || verified == X509_V_ERR_IP_ADDRESS_MISMATCH)
        return std::string("the engine's TLS certificate does not name this host (") + ::X509_verify_cert_error_string(verified) +
               ")";
    if (verified != X509_V_OK)
        return std::string("the engine's TLS certificate is not trusted by the CA ") + files.caFile + " (" +
               ::X509_verify_cert_error_string(verified) + ")";
    std::string reason = ec.message();
    if (ec.category() == asio::error::get_ssl_category() &&
        ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == SSL_R_WRONG_VERSION_NUMBER)
        return "the engine does not speak TLS on this port (" + reason + ")";
    if (reason.find("alert") != std::string::npos)
        return "the engine refused the TLS connection (" + reason + "): does it trust the CA of the client certificate " +
               files.certFile + "?";
    return "TLS: " + reason;
}

namespace {

class TlsByteStream final : public ByteStream {
public:
    TlsByteStream(std::unique_ptr<asio::io_context> io, std::unique_ptr<TlsSocket> socket, std::shared_ptr<ssl::context> context,
                  std::string early)
        : io_(std::move(io)),
          context_(std::move(context)),
          socket_(std::move(socket)),
          early_(std::move(early)),
          work_(asio::make_work_guard(*io_)) {
        io_->restart();
        runner_ = std::thread([this] { io_->run(); });
    }
    ~TlsByteStream() override {
        close();
        work_.reset();
        runner_.join();
        socket_.reset();
    }
    TlsByteStream(const TlsByteStream&) = delete;
    TlsByteStream& operator=(const TlsByteStream&) = delete;

    Result<std::size_t> read(char* data, std::size_t size) override {
        if (!early_.empty()) return takeEarly(early_, data, size);
        if (closed_) return std::size_t{0};
        auto [ec, got] = onIoThread([&](auto done) { socket_->async_read_some(asio::buffer(data, size), done); });
        if (!ec) return got;
        // The end of the stream: the engine closed (with or without TLS's close_notify), or close().
        if (closed_ || ec == asio::error::eof || ec == ssl::error::stream_truncated) return std::size_t{0};
        return makeError(ErrorCode::unavailable, "read attached stream: " + ec.message());
    }

    Status write(std::string_view bytes) override {
        auto [ec, sent] =
            onIoThread([&](auto done) { asio::async_write(*socket_, asio::buffer(bytes.data(), bytes.size()), done); });
        (void)sent;  // async_write sends it all or fails
        if (ec) return makeError(ErrorCode::unavailable, "write attached stream: " + ec.message());
        return {};
    }

    void closeWrite() override {
        onIoThread([this](auto done) {
            ErrorCodeT ignored;
            socket_->lowest_layer().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
            done(ErrorCodeT(), 0);
        });
    }

    void close() override {
        if (closed_.exchange(true)) return;
        asio::post(*io_, [this] {
            ErrorCodeT ignored;
            socket_->lowest_layer().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
            socket_->lowest_layer().close(ignored);
        });
    }

private:
    // Starts an operation on the connection's thread and waits for its outcome.
    template <class Start>
    std::pair<ErrorCodeT, std::size_t> onIoThread(Start start) {
        std::promise<std::pair<ErrorCodeT, std::size_t>> outcome;
        auto done = [&outcome](ErrorCodeT ec, std::size_t count) { outcome.set_value({ec, count}); };
        asio::post(*io_, [&start, done] { start(done); });
        return outcome.get_future().get();
    }

    std::unique_ptr<asio::io_context> io_;
    std::shared_ptr<ssl::context> context_;  // outlives the stream that uses it
    std::unique_ptr<TlsSocket> socket_;
    std::string early_;  // read only by the reading thread
    std::atomic<bool> closed_{false};
    asio::executor_work_guard<asio::io_context::executor_type> work_;
    std::thread runner_;
};

}  // namespace

std::unique_ptr<ByteStream> makeTlsByteStream(std::unique_ptr<asio::io_context> io, std::unique_ptr<TlsSocket> socket,
                                              std::shared_ptr<ssl::context> context, std::string early) {
    return std::make_unique<TlsByteStream>(std::move(io), std::move(socket), std::move(context), std::move(early));
}

}  // namespace ppcs::docker
