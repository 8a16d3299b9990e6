#pragma once
// The narrow seam between ppcs and the Docker engine: one HTTP/1.1 exchange per call over the
// engine's unix socket, a TCP address (plain, or TLS as model/endpoint.h describes), or an ssh
// process's standard input and output (docker/ssh_process.h). The real implementation uses
// Boost.Beast; unit tests use a recording fake.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"
#include "model/endpoint.h"

namespace ppcs::docker {

struct HttpRequest {
    std::string method;  // "GET", "POST", "DELETE", "PUT"
    std::string target;  // path and query, e.g. "/v1.41/images/json?all=1"
    std::string body;
    std::string contentType = "application/json";
    std::map<std::string, std::string> headers;  // further request headers (X-Registry-Auth, ...)
    // Longest silence allowed while connecting, sending or between two pieces of the reply.
    std::chrono::seconds idleTimeout{120};
};

struct HttpResponse {
    int status = 0;
    std::map<std::string, std::string> headers;  // names in lower case
    std::string body;
};

// Receives reply body bytes as they arrive. Returning false stops reading and closes the connection.
using BodySink = std::function<bool(std::string_view)>;
// Supplies request body bytes for an upload: sets piece to the next bytes and returns true, or
// returns false when the body is complete (piece may hold its last bytes). An error abandons the
// upload: the body is never completed, so the engine cannot take what was sent for all of it.
using BodySource = std::function<Result<bool>(std::string& piece)>;

// The raw byte stream of a hijacked connection (an attach or exec start answered 101), both ways.
// One thread may read while another writes; close() may be called from any thread and unblocks
// a read under way. Nothing here times out: the owner ends the stream with close().
class ByteStream {
public:
    virtual ~ByteStream() = default;
    // Blocks until some bytes arrive; 0 at end of stream (or once closed).
    virtual Result<std::size_t> read(char* data, std::size_t size) = 0;
    virtual Status write(std::string_view bytes) = 0;
    // No more writes: the engine sees end of input (the process's stdin closes).
    virtual void closeWrite() = 0;
    // Ends both directions at once.
    virtual void close() = 0;

protected:
    // Moves up to size bytes from the front of early (what the reply's header read brought along)
    // into data: how many, 0 once early is empty.
    static std::size_t takeEarly(std::string& early, char* data, std::size_t size) {
        std::size_t count = std::min(size, early.size());
        early.copy(data, count);
        early.erase(0, count);
        return count;
    }
};

// A request that takes over its connection: the reply's status and headers, and for a 1xx/2xx
// status the stream of what follows (bytes the engine sent right after its header come first);
// for any other status no stream and the reply's body in response.body.
struct Hijacked {
    HttpResponse response;
    std::unique_ptr<ByteStream> stream;
};

class Transport {
public:
    virtual ~Transport() = default;
    // One request, whole reply in HttpResponse::body.
    virtual Result<HttpResponse> send(const HttpRequest& request) = 0;
    // One request; for a 1xx/2xx status the body goes to sink piece by piece (the returned body is
    // empty); for any other status the body is collected into the returned HttpResponse instead.
    virtual Result<HttpResponse> stream(const HttpRequest& request, const BodySink& sink) = 0;
    // One request whose body (request.body is ignored) comes piece by piece from source, sent with
    // chunked transfer encoding; the whole reply is returned. When source fails, the connection is
    // closed without the final chunk and source's error returned. When the engine stops reading
    // (it refused the request early), its reply is returned if it sent one.
    virtual Result<HttpResponse> upload(const HttpRequest& request, const BodySource& source) = 0;
    // One request sent with "Connection: Upgrade" and "Upgrade: tcp" (request.headers may add
    // more); see Hijacked. request.idleTimeout bounds the exchange up to the reply's header only.
    virtual Result<Hijacked> hijack(const HttpRequest& request) = 0;
    // Where the engine is, for messages: "unix:///var/run/docker.sock".
    virtual std::string endpoint() const = 0;
};

// Endpoints are the model's (model/endpoint.h): parsed before anything connects.
using model::endpointFromDockerHost;
using model::EngineEndpoint;
using model::parseEngineEndpoint;

// The transport for endpoint: over TLS when endpoint.tls names files, which are read here (an
// error names the file that cannot be read or used, and the endpoint); over ssh for an ssh://
// endpoint, whose ssh key and known_hosts file must be readable.
Result<std::shared_ptr<Transport>> makeTransport(EngineEndpoint endpoint);
// An ssh:// endpoint's transport with program in ssh's place (tests give a stand-in that takes
// ssh's arguments). Every request runs its own process (sshArgv) and ends it with the exchange:
// a hijacked stream keeps its process until the stream is destroyed. A connection ssh could not
// make fails the request with what ssh said ("ssh to the docker engine at ssh://... failed: ...
// Permission denied (publickey) (ssh exit status 255)"); request.idleTimeout bounds the connect
// (ssh's ConnectTimeout, at most 30 s) and every silence, after which the process is killed.
Result<std::shared_ptr<Transport>> makeSshTransport(EngineEndpoint endpoint, std::string program);
std::shared_ptr<Transport> makeUnixSocketTransport(std::string socketPath);

}  // namespace ppcs::docker
