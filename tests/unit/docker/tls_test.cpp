// TLS set-up for tcp:// engines, before any connection: each file that cannot be read or used is
// named with its cause. Certificates come from the openssl command, in a folder of the test's own.

#include "docker/tls.h"

#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/buffers_iterator.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "common/strings.h"
#include "support/run_process.h"

using namespace ppcs;

namespace {

class TempFolder {
public:
    TempFolder() {
        char pattern[] = "/tmp/ppcs-unit-tls-XXXXXX";
        REQUIRE(::mkdtemp(pattern) != nullptr);
        path_ = pattern;
    }
    ~TempFolder() { std::system(("rm -rf '" + path_ + "'").c_str()); }
    const std::string& path() const { return path_; }
    void write(const std::string& name, const std::string& text) const { std::ofstream(path_ + "/" + name) << text; }
    void openssl(const std::vector<std::string>& args) const {
        std::vector<std::string> argv{"openssl"};
        argv.insert(argv.end(), args.begin(), args.end());
        auto made = testing::runProcess(argv, {}, 60);
        INFO(join(argv, " ") << ": " << made.err);
        REQUIRE(made.exitCode == 0);
    }
    std::string file(const std::string& name) const { return path_ + "/" + name; }
    // NAME.pem, a self-signed CA, and its key NAME-key.pem.
    void makeCa(const std::string& name) const {
        openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
                 file(name + "-key.pem"), "-out", file(name + ".pem"), "-days", "1", "-subj", "/CN=unit " + name});
    }
    // CERT and KEY, signed by the CA named ca, with extensions (openssl's extfile lines).
    void makeSigned(const std::string& cert, const std::string& key, const std::string& ca, const std::string& extensions) const {
        write(cert + ".ext", extensions);
        openssl({"req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", file(key),
                 "-out", file(cert + ".csr"), "-subj", "/CN=unit " + cert});
        openssl({"x509", "-req", "-in", file(cert + ".csr"), "-CA", file(ca + ".pem"), "-CAkey", file(ca + "-key.pem"),
                 "-CAcreateserial", "-days", "1", "-extfile", file(cert + ".ext"), "-out", file(cert)});
    }
    // ca.pem, and cert.pem/key.pem signed by it: the docker CLI's client files.
    void makeClientFiles() const {
        makeCa("ca");
        makeSigned("cert.pem", "key.pem", "ca", "extendedKeyUsage=clientAuth\n");
    }

private:
    std::string path_;
};

void checkRefused(const model::TlsFiles& files, const std::string& words) {
    auto context = docker::makeTlsContext(files);
    REQUIRE_FALSE(context);
    INFO(context.error().message);
    CHECK(context.error().code == ErrorCode::usage);
    CHECK(context.error().message.find(words) != std::string::npos);
    CHECK(context.error().message.find('\n') == std::string::npos);
}

}  // namespace

TEST_CASE("a TLS folder that cannot be read or holds no usable files is refused naming the file", "[docker][tls]") {
    TempFolder folder;
    checkRefused(model::tlsFilesIn(folder.path() + "/nowhere"),
                 "cannot read the TLS certificate directory " + folder.path() + "/nowhere: No such file or directory");
    folder.write("ca.pem", "not a certificate\n");
    checkRefused(model::tlsFilesIn(folder.path()), "cannot read the client certificate " + folder.path() + "/cert.pem");
    folder.write("cert.pem", "not a certificate\n");
    checkRefused(model::tlsFilesIn(folder.path()), "cannot read the client key " + folder.path() + "/key.pem");
    folder.write("key.pem", "not a key\n");
    checkRefused(model::tlsFilesIn(folder.path()), "the CA certificate " + folder.path() + "/ca.pem cannot be used");
}

TEST_CASE("a client certificate and its own key make a TLS context, another key is refused", "[docker][tls]") {
    TempFolder folder;
    folder.makeClientFiles();
    auto files = model::tlsFilesIn(folder.path());
    auto context = docker::makeTlsContext(files);
    INFO((context ? "" : context.error().message));
    REQUIRE(context);
    auto key = std::string(folder.path() + "/key.pem");
    REQUIRE(::rename(key.c_str(), (folder.path() + "/first-key.pem").c_str()) == 0);
    folder.openssl({"genpkey", "-algorithm", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-out", key});
    checkRefused(files, "the client key " + key + " does not belong to the certificate " + files.certFile);
    // Not readable at all (unless root, who reads anything).
    if (::geteuid() != 0) {
        REQUIRE(::chmod(files.caFile.c_str(), 0) == 0);
        checkRefused(files, "cannot read the CA certificate " + files.caFile + ": Permission denied");
    }
}

TEST_CASE("the engine's certificate is checked for an IP address or a host name", "[docker][tls]") {
    TempFolder folder;
    folder.makeClientFiles();
    auto context = docker::makeTlsContext(model::tlsFilesIn(folder.path()));
    REQUIRE(context);
    for (const char* host : {"10.0.0.2", "fd00::2", "engine.example.org"}) {
        INFO(host);
        SSL* ssl = ::SSL_new((*context)->native_handle());
        REQUIRE(ssl != nullptr);
        CHECK(docker::expectPeer(ssl, host));
        ::SSL_free(ssl);
    }
}

namespace {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using boost::system::error_code;

// An engine stand-in on 127.0.0.1 for one connection over TLS (verifying the client's certificate
// against caFile): it answers /_ping, or for an exec start hijacks the connection and echoes what
// it reads until the client's end of input, then says "bye" and closes.
class OneConnectionTlsServer {
public:
    OneConnectionTlsServer(const std::string& certFile, const std::string& keyFile, const std::string& caFile) {
        context_.use_certificate_chain_file(certFile);
        context_.use_private_key_file(keyFile, ssl::context::pem);
        context_.load_verify_file(caFile);
        context_.set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
        port_ = acceptor_.local_endpoint().port();
        thread_ = std::thread([this] { serve(); });
    }
    ~OneConnectionTlsServer() {
        // A client that never came: a plain connection ends the wait for one.
        error_code ignored;
        asio::io_context io;
        asio::ip::tcp::socket knock(io);
        knock.connect({asio::ip::make_address("127.0.0.1"), port_}, ignored);
        thread_.join();
    }
    OneConnectionTlsServer(const OneConnectionTlsServer&) = delete;
    OneConnectionTlsServer& operator=(const OneConnectionTlsServer&) = delete;

    std::uint16_t port() const { return port_; }

private:
    void serve() {
        ssl::stream<asio::ip::tcp::socket> stream(io_, context_);
        error_code ec;
        acceptor_.accept(stream.next_layer(), ec);
        if (!ec) stream.handshake(ssl::stream_base::server, ec);
        asio::streambuf request;
        if (!ec) asio::read_until(stream, request, "\r\n\r\n", ec);
        if (ec) return;
        std::string head(asio::buffers_begin(request.data()), asio::buffers_end(request.data()));
        if (head.rfind("GET /_ping ", 0) == 0) {
            asio::write(stream, asio::buffer(std::string("HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nContent-Length: 2\r\n\r\nOK")),
                        ec);
        } else {
            asio::write(stream, asio::buffer(std::string("HTTP/1.1 101 UPGRADED\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n")),
                        ec);
            std::string echoed = head.substr(head.find("\r\n\r\n") + 4);
            request.consume(request.size());
            char piece[256];
            while (!ec) {
                std::size_t got = stream.read_some(asio::buffer(piece), ec);
                echoed.append(piece, got);
            }
            ec = {};
            asio::write(stream, asio::buffer(echoed + "bye"), ec);
        }
        stream.shutdown(ec);
    }

    asio::io_context io_;
    ssl::context context_{ssl::context::tls_server};
    asio::ip::tcp::acceptor acceptor_{io_, {asio::ip::make_address("127.0.0.1"), 0}};
    std::uint16_t port_ = 0;
    std::thread thread_;
};

// A CA, the stand-in's certificates (for 127.0.0.1 and localhost, and one for another address),
// the client's, and another CA with a client certificate of its own.
struct TlsWorld {
    TlsWorld() {
        folder.makeCa("ca");
        folder.makeCa("other-ca");
        folder.makeSigned("server.pem", "server-key.pem", "ca",
                          "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
        folder.makeSigned("elsewhere.pem", "elsewhere-key.pem", "ca",
                          "subjectAltName=IP:10.9.9.9\nextendedKeyUsage=serverAuth\n");
        folder.makeSigned("cert.pem", "key.pem", "ca", "extendedKeyUsage=clientAuth\n");
        folder.makeSigned("foreign.pem", "foreign-key.pem", "other-ca", "extendedKeyUsage=clientAuth\n");
    }
    model::TlsFiles client(const std::string& ca = "ca.pem", const std::string& cert = "cert.pem",
                           const std::string& key = "key.pem") const {
        return {folder.path(), folder.file(ca), folder.file(cert), folder.file(key)};
    }
    TempFolder folder;
};

Result<docker::HttpResponse> pingOver(const std::string& host, std::uint16_t port, const model::TlsFiles& files) {
    model::EngineEndpoint endpoint;
    endpoint.kind = model::EngineEndpoint::Kind::tcp;
    endpoint.host = host;
    endpoint.port = port;
    endpoint.tls = files;
    auto transport = docker::makeTransport(endpoint);
    if (!transport) return transport.error();
    docker::HttpRequest request{"GET", "/_ping", "", "", {}, std::chrono::seconds(10)};
    return (*transport)->send(request);
}

void checkPingRefused(const Result<docker::HttpResponse>& reply, const std::string& words) {
    REQUIRE_FALSE(reply);
    INFO(reply.error().message);
    CHECK(reply.error().message.find(words) != std::string::npos);
    CHECK(reply.error().message.find('\n') == std::string::npos);
}

}  // namespace

TEST_CASE("over TLS the engine's certificate must chain to the CA and name the host, and it checks the client's",
          "[docker][tls][transport]") {
    TlsWorld world;
    const auto& folder = world.folder;
    for (const char* host : {"127.0.0.1", "localhost"}) {
        INFO(host);
        OneConnectionTlsServer server(folder.file("server.pem"), folder.file("server-key.pem"), folder.file("ca.pem"));
        auto reply = pingOver(host, server.port(), world.client());
        INFO((reply ? "" : reply.error().message));
        REQUIRE(reply);
        CHECK(reply->status == 200);
        CHECK(reply->body == "OK");
    }
    {
        OneConnectionTlsServer server(folder.file("server.pem"), folder.file("server-key.pem"), folder.file("ca.pem"));
        checkPingRefused(pingOver("127.0.0.1", server.port(), world.client("other-ca.pem")),
                         "the engine's TLS certificate is not trusted by the CA " + folder.file("other-ca.pem"));
    }
    {
        OneConnectionTlsServer server(folder.file("elsewhere.pem"), folder.file("elsewhere-key.pem"), folder.file("ca.pem"));
        checkPingRefused(pingOver("127.0.0.1", server.port(), world.client()), "does not name this host");
    }
    {
        OneConnectionTlsServer server(folder.file("server.pem"), folder.file("server-key.pem"), folder.file("ca.pem"));
        checkPingRefused(pingOver("127.0.0.1", server.port(), world.client("ca.pem", "foreign.pem", "foreign-key.pem")),
                         "client certificate " + folder.file("foreign.pem"));
    }
}

TEST_CASE("a connection hijacked over TLS carries bytes both ways and its end of input reaches the engine",
          "[docker][tls][transport]") {
    TlsWorld world;
    OneConnectionTlsServer server(world.folder.file("server.pem"), world.folder.file("server-key.pem"),
                                  world.folder.file("ca.pem"));
    model::EngineEndpoint endpoint;
    endpoint.kind = model::EngineEndpoint::Kind::tcp;
    endpoint.host = "127.0.0.1";
    endpoint.port = server.port();
    endpoint.tls = world.client();
    auto transport = docker::makeTransport(endpoint);
    REQUIRE(transport);
    docker::HttpRequest request{"POST", "/v1.41/exec/e1/start", "{}", "application/json", {}, std::chrono::seconds(10)};
    auto hijacked = (*transport)->hijack(request);
    INFO((hijacked ? "" : hijacked.error().message));
    REQUIRE(hijacked);
    CHECK(hijacked->response.status == 101);
    REQUIRE(hijacked->stream);
    REQUIRE((*hijacked).stream->write("ping"));
    hijacked->stream->closeWrite();
    std::string got;
    char piece[64];
    for (int reads = 0; reads < 100; ++reads) {
        auto read = hijacked->stream->read(piece, sizeof piece);
        REQUIRE(read);
        if (*read == 0) break;
        got.append(piece, *read);
    }
    CHECK(got == "{}pingbye");
    hijacked->stream->close();
}
