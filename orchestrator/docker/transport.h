#pragma once
// The narrow seam between ppcs and the Docker engine: one HTTP/1.1 exchange per call over the
// engine's unix socket. The real implementation uses Boost.Beast; unit tests use a recording fake.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"

namespace ppcs::docker {

struct HttpRequest {
    std::string method;  // "GET", "POST", "DELETE", "PUT"
    std::string target;  // path and query, e.g. "/v1.41/images/json?all=1"
    std::string body;
    std::string contentType = "application/json";
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

class Transport {
public:
    virtual ~Transport() = default;
    // One request, whole reply in HttpResponse::body.
    virtual Result<HttpResponse> send(const HttpRequest& request) = 0;
    // One request; for a 1xx/2xx status the body goes to sink piece by piece (the returned body is
    // empty); for any other status the body is collected into the returned HttpResponse instead.
    virtual Result<HttpResponse> stream(const HttpRequest& request, const BodySink& sink) = 0;
    // Where the engine is, for messages: "unix:///var/run/docker.sock".
    virtual std::string endpoint() const = 0;
};

// Socket path from a DOCKER_HOST value: null or empty gives /var/run/docker.sock; "unix://PATH"
// gives PATH; any other scheme is a usage error (only unix sockets are supported).
Result<std::string> socketPathFromDockerHost(const char* dockerHost);

std::shared_ptr<Transport> makeUnixSocketTransport(std::string socketPath);

}  // namespace ppcs::docker
