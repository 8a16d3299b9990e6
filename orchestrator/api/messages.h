#pragma once
// The JSON messages of ppcsd's HTTP API, shared by the server and the typed client: errors, the
// daemon's, the image build's and the events of a stream. Which operation (method, path, reply)
// carries which message is declared in operations.h; docs/api.yaml describes them all.
//
// A stream is newline-delimited StreamEvents: progress lines, then one "result" or "error".
// While an operation is silent, ppcsd sends {"type":"heartbeat"} every ~2 s: a client may read
// with a short timeout. Clients skip event types they do not know (decodeStreamEvent fails on
// them), so an older client ignores heartbeats.
// Errors are {"error": {"code": "<ErrorCode name>", "message": "..."}} with a matching HTTP status.

#include <string>
#include <string_view>

#include "common/result.h"
#include "model/build.h"

namespace ppcs::api {

inline constexpr int kProtocolVersion = 1;
inline constexpr std::size_t kMaxRequestBytes = 64 * 1024;

struct VersionInfo {
    std::string version;
    int protocol = kProtocolVersion;
    std::string binaryId;  // fileIdentity() of ppcsd's binary when it started: tells a stale daemon
};

struct EngineStatus {
    bool reachable = false;
    std::string endpoint;
    std::string apiVersion;
    std::string error;
};

struct DaemonStatus {
    int pid = 0;
    std::string version;
    std::string stateDir;
    std::string imageContextDir;  // where `build` reads the node image's context when none is given
    double uptimeSeconds = 0;
    EngineStatus engine;
};

// A one-time login code for the dashboard (api/dashboard_auth.h): GET /login?code=CODE within
// expiresSeconds trades it for a session cookie.
struct DashboardCode {
    std::string code;
    int expiresSeconds = 0;
};

struct StreamEvent {
    enum class Kind { progress, result, error, heartbeat };
    Kind kind = Kind::progress;
    model::Phase phase = model::Phase::other;  // progress
    std::string text;                          // progress
    std::string resultJson;                    // result: the operation's JSON result
    Error error;                               // error
};

int httpStatusFor(ErrorCode code);
ErrorCode errorCodeForHttpStatus(int status);

std::string encodeError(const Error& error);
// The error in a reply body; when the body is not an API error, one made from the status.
Error decodeError(std::string_view body, int httpStatus);

std::string encodeVersion(const VersionInfo& info);
Result<VersionInfo> decodeVersion(std::string_view body);
std::string encodeDaemonStatus(const DaemonStatus& status);
Result<DaemonStatus> decodeDaemonStatus(std::string_view body);

std::string encodeDashboardCode(const DashboardCode& code);
Result<DashboardCode> decodeDashboardCode(std::string_view body);

std::string encodeBuildRequest(const model::BuildRequest& request);
// Fails with ErrorCode::usage on malformed JSON, unknown fields or wrong types.
Result<model::BuildRequest> decodeBuildRequest(std::string_view body);

std::string encodeBuildOutcome(const model::BuildOutcome& outcome);  // also the CLI's --json output
Result<model::BuildOutcome> decodeBuildOutcome(std::string_view json);
std::string encodeStreamEvent(const StreamEvent& event);  // one line, no newline
Result<StreamEvent> decodeStreamEvent(std::string_view line);

}  // namespace ppcs::api
