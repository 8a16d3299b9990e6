#include "docker/codecs.h"

#include <nlohmann/json.hpp>

#include "common/strings.h"

namespace ppcs::docker {
namespace {

using nlohmann::json;

Result<json> parseObject(std::string_view text, std::string_view what) {
    json value = json::parse(text.begin(), text.end(), nullptr, false);
    if (value.is_discarded() || !value.is_object())
        return makeError(ErrorCode::failed, "decode " + std::string(what) + ": not a JSON object: " +
                                                truncateForDisplay(trim(text), 120));
    return value;
}

std::string stringField(const json& object, const char* key) {
    auto it = object.find(key);
    return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

Labels labelsField(const json& object, const char* key) {
    Labels labels;
    auto it = object.find(key);
    if (it == object.end() || !it->is_object()) return labels;
    for (const auto& [name, value] : it->items())
        if (value.is_string()) labels[name] = value.get<std::string>();
    return labels;
}

std::vector<std::string> stringArray(const json& object, const char* key) {
    std::vector<std::string> values;
    auto it = object.find(key);
    if (it == object.end() || !it->is_array()) return values;
    for (const auto& item : *it)
        if (item.is_string()) values.push_back(item.get<std::string>());
    return values;
}

}  // namespace

Result<ImageInfo> decodeImageInfo(std::string_view text) {
    auto object = parseObject(text, "image");
    if (!object) return object.error();
    ImageInfo info;
    info.id = stringField(*object, "Id");
    if (info.id.empty()) return makeError(ErrorCode::failed, "decode image: no Id");
    info.repoTags = stringArray(*object, "RepoTags");
    info.created = stringField(*object, "Created");
    if (auto size = object->find("Size"); size != object->end() && size->is_number_integer()) info.sizeBytes = size->get<std::int64_t>();
    if (auto config = object->find("Config"); config != object->end() && config->is_object())
        info.labels = labelsField(*config, "Labels");
    return info;
}

Result<std::vector<ContainerSummary>> decodeContainerList(std::string_view text) {
    json value = json::parse(text.begin(), text.end(), nullptr, false);
    if (value.is_discarded() || !value.is_array())
        return makeError(ErrorCode::failed, "decode container list: not a JSON array");
    std::vector<ContainerSummary> containers;
    for (const auto& item : value) {
        if (!item.is_object()) return makeError(ErrorCode::failed, "decode container list: entry is not an object");
        ContainerSummary summary;
        summary.id = stringField(item, "Id");
        summary.names = stringArray(item, "Names");
        summary.state = stringField(item, "State");
        summary.labels = labelsField(item, "Labels");
        containers.push_back(std::move(summary));
    }
    return containers;
}

Result<std::string> decodeCreatedId(std::string_view text) {
    auto object = parseObject(text, "create reply");
    if (!object) return object.error();
    std::string id = stringField(*object, "Id");
    if (id.empty()) return makeError(ErrorCode::failed, "decode create reply: no Id");
    return id;
}

Result<ExecState> decodeExecState(std::string_view text) {
    auto object = parseObject(text, "exec state");
    if (!object) return object.error();
    ExecState state;
    if (auto running = object->find("Running"); running != object->end() && running->is_boolean()) state.running = running->get<bool>();
    if (auto code = object->find("ExitCode"); code != object->end() && code->is_number_integer()) state.exitCode = code->get<int>();
    return state;
}

Result<ProgressMessage> decodeProgressLine(std::string_view line) {
    auto object = parseObject(line, "progress line");
    if (!object) return object.error();
    ProgressMessage message;
    message.error = stringField(*object, "error");
    if (auto detail = object->find("errorDetail"); message.error.empty() && detail != object->end() && detail->is_object())
        message.error = stringField(*detail, "message");
    if (auto aux = object->find("aux"); aux != object->end() && aux->is_object()) message.auxId = stringField(*aux, "ID");
    std::string text = stringField(*object, "stream");
    if (text.empty()) {
        text = stringField(*object, "status");
        std::string id = stringField(*object, "id");
        if (!id.empty()) text = id + ": " + text;
        std::string progress = stringField(*object, "progress");
        if (!progress.empty()) text += " " + progress;
    }
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    message.text = std::move(text);
    return message;
}

std::string encodeContainerSpec(const ContainerSpec& spec) {
    json body = {{"Image", spec.image}, {"Labels", spec.labels}};
    if (!spec.cmd.empty()) body["Cmd"] = spec.cmd;
    if (!spec.env.empty()) body["Env"] = spec.env;
    if (!spec.hostname.empty()) body["Hostname"] = spec.hostname;
    json host = json::object();
    if (!spec.networkMode.empty()) host["NetworkMode"] = spec.networkMode;
    body["HostConfig"] = host;
    return body.dump();
}

std::string encodeExecSpec(const ExecSpec& spec) {
    json body = {{"AttachStdin", false}, {"AttachStdout", true}, {"AttachStderr", true}, {"Tty", false}, {"Cmd", spec.cmd}};
    if (!spec.user.empty()) body["User"] = spec.user;
    if (!spec.env.empty()) body["Env"] = spec.env;
    if (!spec.workingDir.empty()) body["WorkingDir"] = spec.workingDir;
    return body.dump();
}

std::string encodeLabelFilter(const Labels& labels) {
    json values = json::array();
    for (const auto& [name, value] : labels) values.push_back(value.empty() ? name : name + "=" + value);
    return json{{"label", values}}.dump();
}

std::string encodeStringMap(const Labels& map) { return json(map).dump(); }

std::string engineErrorMessage(std::string_view body) {
    json value = json::parse(body.begin(), body.end(), nullptr, false);
    if (!value.is_discarded() && value.is_object()) {
        std::string message = stringField(value, "message");
        if (!message.empty()) return message;
    }
    std::string raw(trim(body));
    return raw.empty() ? std::string("(no message)") : truncateForDisplay(raw, 300);
}

std::vector<std::string> LineSplitter::feed(std::string_view bytes) {
    std::vector<std::string> lines;
    pending_.append(bytes);
    std::size_t start = 0;
    for (auto newline = pending_.find('\n'); newline != std::string::npos; newline = pending_.find('\n', start)) {
        std::string line = pending_.substr(start, newline - start);
        if (!trim(line).empty()) lines.push_back(std::move(line));
        start = newline + 1;
    }
    pending_.erase(0, start);
    return lines;
}

}  // namespace ppcs::docker
