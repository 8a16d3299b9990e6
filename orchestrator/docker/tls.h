#pragma once
// The client side of TLS to a Docker engine (Boost.Asio SSL over OpenSSL), for the Beast
// transport only: this header brings in Asio's SSL headers, so only docker/'s transport files
// include it.
//
// As `docker --tlsverify`: the engine's certificate must chain to the CA file and name the
// endpoint's host (its IP address or DNS name); ppcs shows the client certificate and key.
// TLS 1.2 at least.

#include <openssl/ssl.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <memory>
#include <string>

#include "common/result.h"
#include "docker/transport.h"
#include "model/endpoint.h"

namespace ppcs::docker {

using TlsSocket = boost::asio::ssl::stream<boost::asio::ip::tcp::socket>;

// A context that verifies engines against files.caFile and presents files.certFile/keyFile.
// Each failure names its cause and the file: a directory or file that cannot be read, a file that
// holds no PEM certificate or key, a key that does not belong to the certificate.
Result<std::shared_ptr<boost::asio::ssl::context>> makeTlsContext(const model::TlsFiles& files);

// Before the handshake: the certificate must name host (an IP address, or a DNS name, which is
// then also sent as SNI).
Status expectPeer(SSL* ssl, const std::string& host);

// One line on why a TLS handshake or a read/write over TLS failed (ec from Asio), naming the
// likely cause: the engine's certificate not trusted by the CA or not naming the host, the engine
// refusing the client certificate, or no TLS on that port.
std::string describeTlsFailure(SSL* ssl, const boost::system::error_code& ec, const model::TlsFiles& files);
// Whether ec comes from the TLS layer (rather than the socket under it).
bool isTlsError(const boost::system::error_code& ec);

// A hijacked connection over TLS, both ways at once: one thread runs the connection's io_context
// while read() and write() wait for their operations (an SSL object must not be used by two
// threads). closeWrite() half-closes the TCP connection under TLS, which the engine (Go's TLS)
// reads as end of input. close() from any thread ends a read under way.
std::unique_ptr<ByteStream> makeTlsByteStream(std::unique_ptr<boost::asio::io_context> io, std::unique_ptr<TlsSocket> socket,
                                              std::shared_ptr<boost::asio::ssl::context> context, std::string early);

}  // namespace ppcs::docker
