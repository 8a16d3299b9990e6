// TLS set-up for tcp:// engines, before any connection: each file that cannot be read or used is
// named with its cause. Certificates come from the openssl command, in a folder of the test's own.

#include "docker/tls.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>

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
    // ca.pem, and cert.pem/key.pem signed by it.
    void makeClientFiles() const {
        auto file = [this](const char* name) { return path_ + "/" + name; };
        auto ec = std::vector<std::string>{"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"};
        auto ca = ec;
        ca.insert(ca.begin(), {"req", "-x509"});
        for (const auto& more : {std::string("-keyout"), file("ca-key.pem"), std::string("-out"), file("ca.pem"),
                                 std::string("-days"), std::string("1"), std::string("-subj"), std::string("/CN=unit ca")})
            ca.push_back(more);
        openssl(ca);
        auto request = ec;
        request.insert(request.begin(), {"req", "-new"});
        for (const auto& more : {std::string("-keyout"), file("key.pem"), std::string("-out"), file("client.csr"),
                                 std::string("-subj"), std::string("/CN=unit client")})
            request.push_back(more);
        openssl(request);
        openssl({"x509", "-req", "-in", file("client.csr"), "-CA", file("ca.pem"), "-CAkey", file("ca-key.pem"),
                 "-CAcreateserial", "-days", "1", "-out", file("cert.pem")});
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
