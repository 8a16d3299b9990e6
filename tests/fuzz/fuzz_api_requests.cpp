// libFuzzer target: every decoder of a request body ppcsd accepts, and the stream events the
// CLI reads. Property: a decoded request is one the CLI could have sent (it re-encodes and
// decodes to the same thing).

#include <cstddef>
#include <cstdint>
#include <string>

#include "api/cluster_messages.h"
#include "api/file_messages.h"
#include "api/host_messages.h"
#include "api/job_messages.h"
#include "api/messages.h"

// Results are dropped on purpose ((void)): a target checks that nothing crashes, not what comes back.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view body(reinterpret_cast<const char*>(data), size);
    using namespace ppcs::api;
    (void)decodeBuildRequest(body);
    if (auto up = decodeUpRequest(body)) {
        auto again = decodeUpRequest(encodeUpRequest(*up));
        if (!again || again->spec.nodeCount != up->spec.nodeCount || again->spec.name != up->spec.name ||
            again->spec.perHost != up->spec.perHost || again->spec.registry != up->spec.registry)
            __builtin_trap();
    }
    if (auto host = decodeAddHostRequest(body)) {
        auto again = decodeAddHostRequest(encodeAddHostRequest(*host));
        if (!again || again->name != host->name || again->endpoint != host->endpoint) __builtin_trap();
    }
    (void)decodeHosts(body);
    (void)decodeJoinCommand(body);
    (void)decodeScaleRequest(body);
    (void)decodeDownRequest(body);
    if (auto job = decodeJobRequest(body)) {
        auto again = decodeJobRequest(encodeJobRequest(*job));
        if (!again || again->np != job->np) __builtin_trap();
    }
    if (auto copy = decodeCopyRequest(body)) {
        auto again = decodeCopyRequest(encodeCopyRequest(*copy));
        if (!again || again->remotePath != copy->remotePath || again->localPath != copy->localPath ||
            again->direction != copy->direction)
            __builtin_trap();
    }
    (void)decodeCancelRequest(body);
    (void)decodeStreamEvent(body);
    (void)decodeError(body, 500);
    return 0;
}
