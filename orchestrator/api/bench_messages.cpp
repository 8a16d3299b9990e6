#include "api/bench_messages.h"

#include "api/json_fields.h"

namespace ppcs::api {
namespace {

using fields::json;
using fields::parseObject;
using fields::readOptional;
using fields::stringOr;
using fields::valueOr;

}  // namespace

std::string encodeBenchRequest(const model::BenchRequest& request) {
    return fields::dumpJson(json{{"cluster", request.cluster},
                                 {"kind", request.kind},
                                 {"pairs", request.pairs},
                                 {"max_size", request.maxSize},
                                 {"iterations", request.iterations}});
}

Result<model::BenchRequest> decodeBenchRequest(std::string_view body) {
    const char* what = "bench request";
    auto object = parseObject(body, what);
    if (!object) return object.error();
    if (auto known = fields::rejectUnknown(*object, {"cluster", "kind", "pairs", "max_size", "iterations"}, what); !known)
        return known.error();
    model::BenchRequest request;
    Status read = readOptional(*object, "cluster", json::value_t::string, request.cluster, what);
    if (read) read = readOptional(*object, "kind", json::value_t::string, request.kind, what);
    if (read) read = readOptional(*object, "pairs", json::value_t::string, request.pairs, what);
    if (read) read = readOptional(*object, "max_size", json::value_t::number_integer, request.maxSize, what);
    if (read) read = readOptional(*object, "iterations", json::value_t::number_integer, request.iterations, what);
    if (read) read = model::validateBenchRequest(request);
    if (!read) return read.error();
    return request;
}

std::string encodeBenchReport(const model::BenchReport& report) {
    json pairs = json::array();
    for (const auto& pair : report.pairs) {
        json rows = json::array();
        for (const auto& row : pair.rows)
            rows.push_back({{"size", row.size},
                            {"latency_us", row.latencyUs},
                            {"bandwidth_mbs", row.bandwidthMBs},
                            {"bibw_mbs", row.bibwMBs}});
        pairs.push_back({{"from", pair.from}, {"to", pair.to}, {"slow", pair.slow}, {"why", pair.why}, {"rows", rows}});
    }
    json allgather = nullptr;
    if (report.allgather.ran)
        allgather = {{"n", report.allgather.n},
                     {"ranks", report.allgather.ranks},
                     {"time_per_iteration_ms", report.allgather.timeMs},
                     {"max_error", report.allgather.maxError},
                     {"verified", report.allgather.verified}};
    return fields::dumpJson(json{{"cluster", report.cluster},
                                 {"kind", report.kind},
                                 {"pairs_mode", report.pairsMode},
                                 {"started_at", report.startedAt},
                                 {"pairs", pairs},
                                 {"allgather", allgather},
                                 {"json_path", report.jsonPath},
                                 {"svg_path", report.svgPath}},
                            2);
}

Result<model::BenchReport> decodeBenchReport(std::string_view body) {
    auto object = parseObject(body, "bench report");
    if (!object) return makeError(ErrorCode::failed, object.error().message);
    model::BenchReport report;
    report.cluster = stringOr(*object, "cluster");
    report.kind = stringOr(*object, "kind");
    report.pairsMode = stringOr(*object, "pairs_mode");
    report.startedAt = stringOr(*object, "started_at");
    report.jsonPath = stringOr(*object, "json_path");
    report.svgPath = stringOr(*object, "svg_path");
    if (auto pairs = object->find("pairs"); pairs != object->end() && pairs->is_array())
        for (const auto& item : *pairs) {
            model::PairResult pair{
                stringOr(item, "from"), stringOr(item, "to"), {}, valueOr(item, "slow", false), stringOr(item, "why")};
            if (auto rows = item.find("rows"); item.is_object() && rows != item.end() && rows->is_array())
                for (const auto& row : *rows)
                    pair.rows.push_back({valueOr(row, "size", 0L), valueOr(row, "latency_us", 0.0),
                                         valueOr(row, "bandwidth_mbs", 0.0), valueOr(row, "bibw_mbs", 0.0)});
            report.pairs.push_back(std::move(pair));
        }
    if (auto allgather = object->find("allgather"); allgather != object->end() && allgather->is_object()) {
        report.allgather.ran = true;
        report.allgather.n = valueOr(*allgather, "n", 0);
        report.allgather.ranks = valueOr(*allgather, "ranks", 0);
        report.allgather.timeMs = valueOr(*allgather, "time_per_iteration_ms", 0.0);
        report.allgather.maxError = valueOr(*allgather, "max_error", 0.0);
        report.allgather.verified = valueOr(*allgather, "verified", false);
    }
    return report;
}

std::string encodeClusterStats(const std::string& cluster, const std::vector<model::MemberStats>& members) {
    json list = json::array();
    for (const auto& member : members) {
        json entry = {
            {"role", model::roleName(member.role)}, {"hostname", member.hostname}, {"container_id", member.containerId}};
        if (member.error.empty()) {
            entry["cpu_percent"] = member.stats.cpuPercent;
            entry["memory_bytes"] = member.stats.memoryBytes;
            entry["memory_limit_bytes"] = member.stats.memoryLimitBytes;
            entry["rx_bytes"] = member.stats.rxBytes;
            entry["tx_bytes"] = member.stats.txBytes;
        } else {
            entry["error"] = member.error;
        }
        list.push_back(entry);
    }
    return fields::dumpJson(json{{"cluster", cluster}, {"members", list}});
}

Result<std::vector<model::MemberStats>> decodeClusterStats(std::string_view body) {
    auto object = parseObject(body, "cluster stats");
    if (!object) return makeError(ErrorCode::failed, object.error().message);
    std::vector<model::MemberStats> members;
    if (auto list = object->find("members"); list != object->end() && list->is_array())
        for (const auto& item : *list) {
            model::MemberStats member{fields::roleOr(item, "role"),
                                      stringOr(item, "hostname"),
                                      stringOr(item, "container_id"),
                                      {},
                                      stringOr(item, "error")};
            member.stats.cpuPercent = valueOr(item, "cpu_percent", 0.0);
            member.stats.memoryBytes = valueOr(item, "memory_bytes", std::int64_t{0});
            member.stats.memoryLimitBytes = valueOr(item, "memory_limit_bytes", std::int64_t{0});
            member.stats.rxBytes = valueOr(item, "rx_bytes", std::int64_t{0});
            member.stats.txBytes = valueOr(item, "tx_bytes", std::int64_t{0});
            members.push_back(std::move(member));
        }
    return members;
}

}  // namespace ppcs::api
