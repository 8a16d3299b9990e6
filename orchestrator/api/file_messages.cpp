#include "api/file_messages.h"

#include "api/json_fields.h"

namespace ppcs::api {

using fields::json;

namespace {

std::uint64_t count(const json& object, const char* key) {
    auto value = fields::valueOr(object, key, std::int64_t{0});
    return value > 0 ? static_cast<std::uint64_t>(value) : 0;
}

}  // namespace

std::string encodeCopyRequest(const model::CopyRequest& request) {
    return fields::dumpJson({{"cluster", request.cluster},
                             {"direction", request.direction == model::CopyDirection::intoCluster ? "in" : "out"},
                             {"local_path", request.localPath},
                             {"remote_path", request.remotePath}});
}

Result<model::CopyRequest> decodeCopyRequest(std::string_view body) {
    const char* what = "copy request";
    auto object = fields::parseObject(body, what);
    if (!object) return object.error();
    if (auto known = fields::rejectUnknown(*object, {"cluster", "direction", "local_path", "remote_path"}, what); !known)
        return known.error();
    model::CopyRequest request;
    std::string direction;
    Status read = fields::readOptional(*object, "cluster", json::value_t::string, request.cluster, what);
    if (read) read = fields::readOptional(*object, "direction", json::value_t::string, direction, what);
    if (read) read = fields::readOptional(*object, "local_path", json::value_t::string, request.localPath, what);
    if (read) read = fields::readOptional(*object, "remote_path", json::value_t::string, request.remotePath, what);
    if (!read) return read.error();
    if (direction == "in")
        request.direction = model::CopyDirection::intoCluster;
    else if (direction == "out")
        request.direction = model::CopyDirection::outOfCluster;
    else
        return makeError(ErrorCode::usage, "copy request: 'direction' must be \"in\" or \"out\"");
    if (auto valid = model::validateCopyRequest(request); !valid) return valid.error();
    return request;
}

std::string encodeCopyReport(const model::CopyReport& report) {
    return fields::dumpJson({{"local_path", report.localPath},
                             {"remote_path", report.remotePath},
                             {"files", report.tally.files},
                             {"directories", report.tally.directories},
                             {"bytes", report.tally.bytes},
                             {"skipped", report.tally.skipped},
                             {"hosts", report.hosts}});
}

Result<model::CopyReport> decodeCopyReport(std::string_view body) {
    auto object = fields::parseObject(body, "copy reply");
    if (!object) return makeError(ErrorCode::failed, object.error().message);
    model::CopyReport report;
    report.localPath = fields::stringOr(*object, "local_path");
    report.remotePath = fields::stringOr(*object, "remote_path");
    report.tally.files = count(*object, "files");
    report.tally.directories = count(*object, "directories");
    report.tally.bytes = count(*object, "bytes");
    report.tally.skipped = count(*object, "skipped");
    report.hosts = fields::valueOr(*object, "hosts", 1);
    return report;
}

}  // namespace ppcs::api
