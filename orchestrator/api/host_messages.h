#pragma once
// JSON messages of the host operations (kListHosts, kAddHost, kJoinCommand in operations.h).

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "model/endpoint.h"
#include "model/host.h"

namespace ppcs::api {

struct AddHostRequest {
    std::string name;
    std::string endpoint;       // unix:///... or tcp://HOST:PORT
    std::string tlsDir;         // tcp: TLS with DIR/ca.pem, cert.pem, key.pem (absolute)
    bool insecure = false;      // tcp: plain TCP allowed
    std::string sshKey;         // ssh: the key to log in with (absolute)
    std::string sshKnownHosts;  // ssh: the host keys to trust (absolute)
};

// The endpoint a request registers, secured as it says (model::hostEndpoint's rules).
Result<model::EngineEndpoint> requestedEndpoint(const AddHostRequest& request);

// Decoders fail with ErrorCode::usage on malformed JSON, unknown fields, wrong types and invalid
// names or endpoints (plain tcp:// without insecure included): the same checks the CLI makes.
std::string encodeAddHostRequest(const AddHostRequest& request);
Result<AddHostRequest> decodeAddHostRequest(std::string_view body);
std::string encodeHosts(const std::vector<model::Host>& hosts);  // also the CLI's hosts --json
Result<std::vector<model::Host>> decodeHosts(std::string_view body);
std::string encodeHost(const model::Host& host);
Result<model::Host> decodeHost(std::string_view body);
std::string encodeJoinCommand(const std::string& command);  // {"command": "..."}
Result<std::string> decodeJoinCommand(std::string_view body);

}  // namespace ppcs::api
