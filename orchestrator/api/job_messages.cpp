#include "api/job_messages.h"

#include "api/json_fields.h"
#include "common/strings.h"
#include "model/cluster_spec.h"

namespace ppcs::api {
namespace {

using fields::json;
using fields::parseObject;
using fields::readOptional;

json recordJson(const model::JobRecord& record) {
    json value = {{"id", record.id},           {"cluster", record.cluster},
                  {"program", record.program}, {"args", record.args},
                  {"np", record.np},           {"started_at", record.startedAt},
                  {"seconds", record.seconds}, {"state", model::jobStateName(record.state)},
                  {"message", record.message}};
    value["exit_code"] = record.exitCode ? json(*record.exitCode) : json(nullptr);
    value["queued_at"] = record.queuedAt;
    value["waited_seconds"] = record.waitedSeconds;
    value["attempt"] = record.attempt;
    value["retries"] = record.retries;
    value["position"] = record.position;
    value["array_id"] = record.arrayId;
    value["array_index"] = record.arrayIndex;
    return value;
}

model::JobRecord recordFromJson(const json& item) {
    model::JobRecord record;
    record.id = fields::valueOr(item, "id", std::int64_t{0});
    record.cluster = fields::stringOr(item, "cluster");
    record.program = fields::stringOr(item, "program");
    record.args = fields::valueOr(item, "args", std::vector<std::string>{});
    record.np = fields::valueOr(item, "np", 0);
    record.startedAt = fields::stringOr(item, "started_at");
    record.seconds = fields::valueOr(item, "seconds", 0.0);
    // A state this client does not know (a newer ppcsd) reads as interrupted: it is not running.
    record.state = model::jobStateFromName(fields::stringOr(item, "state")).value_or(model::JobState::interrupted);
    record.message = fields::stringOr(item, "message");
    if (item.contains("exit_code") && item["exit_code"].is_number_integer()) record.exitCode = item["exit_code"].get<int>();
    record.queuedAt = fields::stringOr(item, "queued_at");
    record.waitedSeconds = fields::valueOr(item, "waited_seconds", 0.0);
    record.attempt = fields::valueOr(item, "attempt", 1);
    record.retries = fields::valueOr(item, "retries", 0);
    record.position = fields::valueOr(item, "position", 0);
    record.arrayId = fields::valueOr(item, "array_id", std::int64_t{0});
    record.arrayIndex = fields::valueOr(item, "array_index", -1);
    return record;
}

// A list of at most kMaxJobArgs strings, when present.
Status readStringList(const json& object, const char* key, std::vector<std::string>& into) {
    auto list = object.find(key);
    if (list == object.end() || list->is_null()) return {};
    if (!list->is_array() || list->size() > kMaxJobArgs)
        return makeError(ErrorCode::usage, std::string("run request: '") + key + "' must be a list of at most 4096 strings");
    for (const auto& item : *list) {
        if (!item.is_string())
            return makeError(ErrorCode::usage, std::string("run request: every item of '") + key + "' must be a string");
        into.push_back(item.get<std::string>());
    }
    return {};
}

}  // namespace

std::string encodeJobRequest(const model::JobRequest& request) {
    return fields::dumpJson({{"cluster", request.cluster},
                             {"program", request.program},
                             {"command", request.isCommand},
                             {"local_path", request.localPath},
                             {"args", request.args},
                             {"np", request.np},
                             {"per_node", request.perNode},
                             {"oversubscribe", request.oversubscribe},
                             {"tag_output", request.tagOutput},
                             {"timeout_seconds", request.timeoutSeconds},
                             {"exe", request.exe},
                             {"env", request.env},
                             {"workdir", request.workdir},
                             {"output_dir", request.outputDir},
                             {"retries", request.retries},
                             {"array", request.array},
                             {"array_index", request.arrayIndex}});
}

Result<model::JobRequest> decodeJobRequest(std::string_view body) {
    const char* what = "run request";
    auto object = parseObject(body, what);
    if (!object) return object.error();
    if (auto known = fields::rejectUnknown(
            *object,
            {"cluster", "program", "command", "local_path", "args", "np", "per_node", "oversubscribe", "tag_output",
             "timeout_seconds", "exe", "env", "workdir", "output_dir", "retries", "array", "array_index"},
            what);
        !known)
        return known.error();
    model::JobRequest request;
    Status read = readOptional(*object, "cluster", json::value_t::string, request.cluster, what);
    if (read) read = readOptional(*object, "program", json::value_t::string, request.program, what);
    if (read) read = readOptional(*object, "command", json::value_t::boolean, request.isCommand, what);
    if (read) read = readOptional(*object, "local_path", json::value_t::string, request.localPath, what);
    if (read) read = readOptional(*object, "np", json::value_t::number_integer, request.np, what);
    if (read) read = readOptional(*object, "per_node", json::value_t::number_integer, request.perNode, what);
    if (read) read = readOptional(*object, "oversubscribe", json::value_t::boolean, request.oversubscribe, what);
    if (read) read = readOptional(*object, "tag_output", json::value_t::boolean, request.tagOutput, what);
    if (read) read = readOptional(*object, "timeout_seconds", json::value_t::number_integer, request.timeoutSeconds, what);
    if (read) read = readOptional(*object, "exe", json::value_t::string, request.exe, what);
    if (read) read = readOptional(*object, "workdir", json::value_t::string, request.workdir, what);
    if (read) read = readOptional(*object, "output_dir", json::value_t::string, request.outputDir, what);
    if (read) read = readOptional(*object, "retries", json::value_t::number_integer, request.retries, what);
    if (read) read = readOptional(*object, "array", json::value_t::string, request.array, what);
    if (read) read = readOptional(*object, "array_index", json::value_t::number_integer, request.arrayIndex, what);
    if (read) read = readStringList(*object, "args", request.args);
    if (read) read = readStringList(*object, "env", request.env);
    if (!read) return read.error();
    if (auto valid = model::validateJobRequest(request); !valid) return valid.error();
    return request;
}

std::string encodeJobOutcome(const model::JobOutcome& outcome) {
    return fields::dumpJson(json{{"job_id", outcome.id},
                                 {"exit_code", outcome.exitCode},
                                 {"state", model::jobStateName(outcome.state)},
                                 {"message", outcome.message},
                                 {"seconds", outcome.seconds}});
}

Result<model::JobOutcome> decodeJobOutcome(std::string_view body) {
    auto object = parseObject(body, "job outcome");
    if (!object) return makeError(ErrorCode::failed, object.error().message);
    model::JobOutcome outcome;
    outcome.id = fields::valueOr(*object, "job_id", std::int64_t{0});
    outcome.exitCode = fields::valueOr(*object, "exit_code", 0);
    // A state this client does not know (a newer ppcsd) reads as failed; the exit code still tells.
    outcome.state = model::jobStateFromName(fields::stringOr(*object, "state")).value_or(model::JobState::failed);
    outcome.message = fields::stringOr(*object, "message");
    outcome.seconds = fields::valueOr(*object, "seconds", 0.0);
    return outcome;
}

std::string encodeJobList(const std::vector<model::JobRecord>& records) {
    json list = json::array();
    for (const auto& record : records) list.push_back(recordJson(record));
    return fields::dumpJson({{"jobs", list}});
}

Result<std::vector<model::JobRecord>> decodeJobList(std::string_view body) {
    auto object = parseObject(body, "job list");
    if (!object) return makeError(ErrorCode::failed, object.error().message);
    std::vector<model::JobRecord> records;
    if (auto list = object->find("jobs"); list != object->end() && list->is_array())
        for (const auto& item : *list)
            if (item.is_object()) records.push_back(recordFromJson(item));
    return records;
}

std::string encodeJobLog(const model::JobRecord& record, const std::vector<model::OutputChunk>& output) {
    json chunks = json::array();
    for (const auto& chunk : output) chunks.push_back({{"stream", chunk.isErr ? "err" : "out"}, {"data", chunk.data}});
    return fields::dumpJson({{"job", recordJson(record)}, {"output", chunks}});
}

Result<std::pair<model::JobRecord, std::vector<model::OutputChunk>>> decodeJobLog(std::string_view body) {
    auto object = parseObject(body, "job log");
    if (!object) return makeError(ErrorCode::failed, object.error().message);
    if (!object->contains("job") || !(*object)["job"].is_object()) return makeError(ErrorCode::failed, "job log: no job");
    std::vector<model::OutputChunk> output;
    if (auto chunks = object->find("output"); chunks != object->end() && chunks->is_array())
        for (const auto& chunk : *chunks)
            if (chunk.is_object())
                output.push_back({fields::stringOr(chunk, "stream") == "err", fields::stringOr(chunk, "data")});
    return std::make_pair(recordFromJson((*object)["job"]), output);
}

std::string encodeCancelRequest(const CancelRequest& request) {
    return fields::dumpJson(request.id ? json{{"id", *request.id}} : json{{"cluster", request.cluster}});
}

Result<CancelRequest> decodeCancelRequest(std::string_view body) {
    const char* what = "cancel request";
    auto object = parseObject(body, what);
    if (!object) return object.error();
    if (auto known = fields::rejectUnknown(*object, {"cluster", "id"}, what); !known) return known.error();
    CancelRequest request;
    request.cluster = model::kDefaultClusterName;
    if (auto id = object->find("id"); id != object->end()) {
        if (object->contains("cluster"))
            return makeError(ErrorCode::usage, "cancel request: give either 'id' or 'cluster', not both");
        if (!id->is_number_integer() || id->get<std::int64_t>() < 1)  // a huge unsigned reads as negative
            return makeError(ErrorCode::usage, "cancel request: 'id' must be a job number from 1 up");
        request.id = id->get<std::int64_t>();
        return request;
    }
    if (auto read = readOptional(*object, "cluster", json::value_t::string, request.cluster, what); !read) return read.error();
    if (auto valid = model::validateClusterName(request.cluster); !valid) return valid.error();
    return request;
}

std::string encodePruneRequest(const PruneRequest& request) {
    return fields::dumpJson(request.keep ? json{{"keep", *request.keep}} : json::object());
}

Result<PruneRequest> decodePruneRequest(std::string_view body) {
    const char* what = "prune request";
    auto object = parseObject(body, what);
    if (!object) return object.error();
    if (auto known = fields::rejectUnknown(*object, {"keep"}, what); !known) return known.error();
    PruneRequest request;
    if (auto keep = object->find("keep"); keep != object->end()) {
        // A huge unsigned reads as negative: refused with the rest.
        if (!keep->is_number_integer() || keep->get<std::int64_t>() < 0 || keep->get<std::int64_t>() > model::kMaxKeptJobs)
            return makeError(ErrorCode::usage,
                             "prune request: 'keep' must be a number of jobs from 0 to " + std::to_string(model::kMaxKeptJobs));
        request.keep = static_cast<int>(keep->get<std::int64_t>());
    }
    return request;
}

std::string encodePruneReport(const model::PruneReport& report) {
    return fields::dumpJson({{"removed", report.removed}, {"keep", report.keep}});
}

Result<model::PruneReport> decodePruneReport(std::string_view body) {
    auto object = parseObject(body, "prune reply");
    if (!object) return makeError(ErrorCode::failed, object.error().message);
    return model::PruneReport{fields::valueOr(*object, "removed", std::int64_t{0}), fields::valueOr(*object, "keep", 0)};
}

std::string encodeSubmitReply(std::int64_t id) { return fields::dumpJson(json{{"job_id", id}}); }

Result<std::int64_t> decodeSubmitReply(std::string_view body) {
    auto object = parseObject(body, "submit reply");
    if (!object) return makeError(ErrorCode::failed, object.error().message);
    auto id = fields::valueOr(*object, "job_id", std::int64_t{0});
    if (id < 1) return makeError(ErrorCode::failed, "submit reply: no job id");
    return id;
}

std::string encodeCancelReply(bool cancelled) { return fields::dumpJson({{"cancelled", cancelled}}); }

Result<bool> decodeCancelReply(std::string_view body) {
    auto object = parseObject(body, "cancel reply");
    if (!object) return makeError(ErrorCode::failed, object.error().message);
    return fields::valueOr(*object, "cancelled", false);
}

}  // namespace ppcs::api
