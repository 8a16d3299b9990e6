#include "api/messages.h"

#include <set>

#include "api/json_fields.h"

namespace ppcs::api {
namespace {

using nlohmann::json;

using fields::parseObject;
using fields::readOptional;

json outcomeJson(const model::BuildOutcome& outcome) {
    return {{"image_id", outcome.imageId},
            {"image", outcome.imageRef},
            {"context_hash", outcome.contextHash},
            {"reused", outcome.reused},
            {"seconds", outcome.seconds}};
}

}  // namespace

int httpStatusFor(ErrorCode code) {
    switch (code) {
        case ErrorCode::usage:
            return 400;
        case ErrorCode::unauthorized:
            return 401;
        case ErrorCode::permissionDenied:
            return 403;
        case ErrorCode::notFound:
            return 404;
        case ErrorCode::conflict:
            return 409;
        case ErrorCode::tooLarge:
            return 413;
        case ErrorCode::unavailable:
            return 503;
        case ErrorCode::timeout:
            return 504;
        case ErrorCode::failed:
            return 500;
    }
    return 500;
}

ErrorCode errorCodeForHttpStatus(int status) {
    for (auto code : {ErrorCode::usage, ErrorCode::unauthorized, ErrorCode::permissionDenied, ErrorCode::notFound,
                      ErrorCode::conflict, ErrorCode::tooLarge, ErrorCode::unavailable, ErrorCode::timeout})
        if (httpStatusFor(code) == status) return code;
    return status >= 400 && status < 500 ? ErrorCode::usage : ErrorCode::failed;
}

std::string encodeError(const Error& error) {
    return fields::dumpJson(json{{"error", {{"code", std::string(errorCodeName(error.code))}, {"message", error.message}}}});
}

Error decodeError(std::string_view body, int httpStatus) {
    json value = json::parse(body.begin(), body.end(), nullptr, false);
    if (!value.is_discarded() && value.is_object() && value.contains("error") && value["error"].is_object()) {
        const auto& error = value["error"];
        std::string code = fields::stringOr(error, "code");
        std::string message = fields::stringOr(error, "message");
        return Error{errorCodeFromName(code).value_or(errorCodeForHttpStatus(httpStatus)), message};
    }
    return Error{errorCodeForHttpStatus(httpStatus), "ppcsd answered HTTP " + std::to_string(httpStatus)};
}

std::string encodeVersion(const VersionInfo& info) {
    return fields::dumpJson(json{{"version", info.version}, {"protocol", info.protocol}, {"binary_id", info.binaryId}});
}

std::string encodeDashboardCode(const DashboardCode& code) {
    return fields::dumpJson(json{{"code", code.code}, {"expires_seconds", code.expiresSeconds}});
}

Result<DashboardCode> decodeDashboardCode(std::string_view body) {
    auto object = parseObject(body, "dashboard code reply");
    if (!object) return object.error();
    DashboardCode code;
    const char* what = "dashboard code reply";
    if (auto read = readOptional(*object, "code", json::value_t::string, code.code, what); !read) return read.error();
    if (auto read = readOptional(*object, "expires_seconds", json::value_t::number_integer, code.expiresSeconds, what); !read)
        return read.error();
    if (code.code.empty()) return makeError(ErrorCode::failed, "dashboard code reply: no code");
    return code;
}

Result<VersionInfo> decodeVersion(std::string_view body) {
    auto object = parseObject(body, "version reply");
    if (!object) return object.error();
    VersionInfo info;
    if (auto read = readOptional(*object, "version", json::value_t::string, info.version, "version reply"); !read)
        return read.error();
    if (auto read = readOptional(*object, "protocol", json::value_t::number_integer, info.protocol, "version reply"); !read)
        return read.error();
    if (auto read = readOptional(*object, "binary_id", json::value_t::string, info.binaryId, "version reply"); !read)
        return read.error();
    return info;
}

std::string encodeDaemonStatus(const DaemonStatus& status) {
    json engine = {{"reachable", status.engine.reachable}, {"endpoint", status.engine.endpoint}};
    if (status.engine.reachable)
        engine["api_version"] = status.engine.apiVersion;
    else
        engine["error"] = status.engine.error;
    return fields::dumpJson(json{{"pid", status.pid},
                                 {"version", status.version},
                                 {"state_dir", status.stateDir},
                                 {"image_context", status.imageContextDir},
                                 {"uptime_seconds", status.uptimeSeconds},
                                 {"engine", engine}});
}

Result<DaemonStatus> decodeDaemonStatus(std::string_view body) {
    auto object = parseObject(body, "daemon status");
    if (!object) return object.error();
    DaemonStatus status;
    const char* what = "daemon status";
    Status read = readOptional(*object, "pid", json::value_t::number_integer, status.pid, what);
    if (read) read = readOptional(*object, "version", json::value_t::string, status.version, what);
    if (read) read = readOptional(*object, "state_dir", json::value_t::string, status.stateDir, what);
    if (read) read = readOptional(*object, "image_context", json::value_t::string, status.imageContextDir, what);
    if (read) read = readOptional(*object, "uptime_seconds", json::value_t::number_float, status.uptimeSeconds, what);
    if (!read) return read.error();
    if (auto engine = object->find("engine"); engine != object->end() && engine->is_object()) {
        status.engine.reachable = fields::valueOr(*engine, "reachable", false);
        status.engine.endpoint = fields::stringOr(*engine, "endpoint");
        status.engine.apiVersion = fields::stringOr(*engine, "api_version");
        status.engine.error = fields::stringOr(*engine, "error");
    }
    return status;
}

std::string encodeBuildRequest(const model::BuildRequest& request) {
    return fields::dumpJson(json{{"context_dir", request.contextDir},
                                 {"image", request.imageRef},
                                 {"no_cache", request.noCache},
                                 {"mirror", request.mirror},
                                 {"pull", request.allowPull},
                                 {"mpi", model::mpiName(request.mpi)}});
}

Result<model::BuildRequest> decodeBuildRequest(std::string_view body) {
    const char* what = "build request";
    auto object = parseObject(body, what);
    if (!object) return object.error();
    if (auto known = fields::rejectUnknown(*object, {"context_dir", "image", "no_cache", "mirror", "pull", "mpi"}, what); !known)
        return known.error();
    model::BuildRequest request;
    Status read = readOptional(*object, "context_dir", json::value_t::string, request.contextDir, what);
    if (read) read = readOptional(*object, "image", json::value_t::string, request.imageRef, what);
    if (read) read = readOptional(*object, "no_cache", json::value_t::boolean, request.noCache, what);
    if (read) read = readOptional(*object, "mirror", json::value_t::string, request.mirror, what);
    if (read) read = readOptional(*object, "pull", json::value_t::boolean, request.allowPull, what);
    if (read) read = fields::readMpi(*object, request.mpi, what);
    if (!read) return read.error();
    if (!request.contextDir.empty() && request.contextDir.front() != '/')
        return makeError(ErrorCode::usage, "build request: context_dir must be an absolute path");
    if (!request.mirror.empty() && request.mirror.rfind("http://", 0) != 0 && request.mirror.rfind("https://", 0) != 0)
        return makeError(ErrorCode::usage, "build request: mirror must be an http:// or https:// URL");
    if (auto reference = model::splitImageReference(request.imageRef); !reference) return reference.error();
    return request;
}

std::string encodeBuildOutcome(const model::BuildOutcome& outcome) { return fields::dumpJson(outcomeJson(outcome)); }

Result<model::BuildOutcome> decodeBuildOutcome(std::string_view body) {
    auto object = parseObject(body, "build outcome");
    if (!object) return object.error();
    model::BuildOutcome outcome;
    outcome.imageId = fields::stringOr(*object, "image_id");
    outcome.imageRef = fields::stringOr(*object, "image");
    outcome.contextHash = fields::stringOr(*object, "context_hash");
    outcome.reused = fields::valueOr(*object, "reused", false);
    outcome.seconds = fields::valueOr(*object, "seconds", 0.0);
    return outcome;
}

std::string encodeStreamEvent(const StreamEvent& event) {
    switch (event.kind) {
        case StreamEvent::Kind::progress:
            return fields::dumpJson(
                json{{"type", "progress"}, {"phase", std::string(model::phaseName(event.phase))}, {"text", event.text}});
        case StreamEvent::Kind::result: {
            json result = json::parse(event.resultJson, nullptr, false);
            return fields::dumpJson(json{{"type", "result"}, {"result", result.is_discarded() ? json(nullptr) : result}});
        }
        case StreamEvent::Kind::error:
            return fields::dumpJson(json{
                {"type", "error"}, {"code", std::string(errorCodeName(event.error.code))}, {"message", event.error.message}});
        case StreamEvent::Kind::heartbeat:
            return R"({"type":"heartbeat"})";
    }
    return "{}";
}

Result<StreamEvent> decodeStreamEvent(std::string_view line) {
    auto object = parseObject(line, "stream event");
    if (!object) return makeError(ErrorCode::failed, object.error().message);
    StreamEvent event;
    std::string type = fields::stringOr(*object, "type");
    if (type == "progress") {
        event.phase = model::phaseFromName(fields::stringOr(*object, "phase"));
        event.text = fields::stringOr(*object, "text");
    } else if (type == "result" && object->contains("result")) {
        event.kind = StreamEvent::Kind::result;
        event.resultJson = fields::dumpJson((*object)["result"]);
    } else if (type == "heartbeat") {
        event.kind = StreamEvent::Kind::heartbeat;
    } else if (type == "error") {
        event.kind = StreamEvent::Kind::error;
        event.error = Error{errorCodeFromName(fields::stringOr(*object, "code")).value_or(ErrorCode::failed),
                            fields::stringOr(*object, "message")};
    } else {
        return makeError(ErrorCode::failed, "stream event: unknown type '" + type + "'");
    }
    return event;
}

}  // namespace ppcs::api
