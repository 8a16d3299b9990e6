#pragma once
// A request that takes over its connection (it carries an Upgrade header), as ppcsd's header guard
// read it: no httplib here, so that the handler of such connections need not include it.

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace ppcs::api {

struct UpgradeRequest {
    std::string method;
    std::string path;                                // the target without its query
    std::map<std::string, std::string> headers;      // names in lower case, values trimmed
    std::string early;                               // bytes the client sent after the header block
    std::chrono::steady_clock::time_point deadline;  // by when the rest of the request (its body) must arrive
};

// The request in a header block ("METHOD TARGET HTTP/1.1\r\n" header lines, "\r\n\r\n" and perhaps
// more, which goes to early); nullopt when it has no Upgrade header or is not a request line
// followed by "Name: value" lines.
std::optional<UpgradeRequest> parseUpgradeRequest(std::string_view block);

}  // namespace ppcs::api
