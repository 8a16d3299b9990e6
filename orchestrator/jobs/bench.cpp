#include "jobs/bench.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <regex>
#include <sstream>

#include "cluster/spec.h"
#include "common/strings.h"

namespace ppcs::jobs {
namespace {

double median(std::vector<double> values) {
    if (values.empty()) return 0;
    std::sort(values.begin(), values.end());
    std::size_t middle = values.size() / 2;
    return values.size() % 2 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
}

std::string format(double value, int decimals) {
    char text[64];
    std::snprintf(text, sizeof text, "%.*f", decimals, value);
    return text;
}

// One plot of the SVG: a log2 x axis of message sizes; a linear y axis, or a log10 one from yMin.
struct Panel {
    double left, top, width, height;
    double xMin, xMax, yMax;
    std::string title, yLabel;
    double yMin = 0;  // > 0: log10 scale

    double x(double size) const { return left + (std::log2(size) - xMin) / std::max(1e-9, xMax - xMin) * width; }
    double y(double value) const {
        if (yMin > 0) {
            double span = std::max(1e-9, std::log10(yMax) - std::log10(yMin));
            return top + height - (std::log10(std::max(value, yMin)) - std::log10(yMin)) / span * height;
        }
        return top + height - value / std::max(1e-9, yMax) * height;
    }
    std::vector<double> ticks() const {
        std::vector<double> values;
        if (yMin > 0) {
            for (double value = std::pow(10.0, std::floor(std::log10(yMin))); value <= yMax; value *= 10)
                if (value >= yMin) values.push_back(value);
        } else {
            for (int tick = 0; tick <= 4; ++tick) values.push_back(yMax * tick / 4);
        }
        return values;
    }
};

void drawPanel(std::ostringstream& svg, const Panel& panel, const BenchReport& report, double PingpongRow::*metric) {
    static const char* colors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                   "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"};
    svg << "<text x='" << panel.left + panel.width / 2 << "' y='" << panel.top - 10
        << "' text-anchor='middle' font-weight='bold'>" << panel.title << "</text>\n";
    svg << "<rect x='" << panel.left << "' y='" << panel.top << "' width='" << panel.width << "' height='" << panel.height
        << "' fill='none' stroke='#444'/>\n";
    for (double value : panel.ticks()) {
        svg << "<text x='" << panel.left - 6 << "' y='" << panel.y(value) + 4 << "' text-anchor='end' font-size='11'>"
            << format(value, value < 10 ? 1 : 0) << "</text>\n";
    }
    for (int exponent = static_cast<int>(panel.xMin); exponent <= static_cast<int>(panel.xMax); exponent += 4) {
        double size = std::pow(2.0, exponent);
        std::string label = size >= 1048576 ? format(size / 1048576, 0) + "M"
                            : size >= 1024  ? format(size / 1024, 0) + "K"
                                            : format(size, 0);
        svg << "<text x='" << panel.x(size) << "' y='" << panel.top + panel.height + 16
            << "' text-anchor='middle' font-size='11'>" << label << "</text>\n";
    }
    svg << "<text x='" << panel.left + panel.width / 2 << "' y='" << panel.top + panel.height + 34
        << "' text-anchor='middle' font-size='12'>message size (bytes)</text>\n";
    svg << "<text x='" << panel.left - 48 << "' y='" << panel.top + panel.height / 2 << "' font-size='12' transform='rotate(-90 "
        << panel.left - 48 << " " << panel.top + panel.height / 2 << ")' text-anchor='middle'>" << panel.yLabel << "</text>\n";
    for (std::size_t i = 0; i < report.pairs.size(); ++i) {
        svg << "<polyline fill='none' stroke-width='1.5' stroke='" << colors[i % 10] << "' points='";
        for (const auto& row : report.pairs[i].rows)
            svg << format(panel.x(static_cast<double>(row.size)), 1) << "," << format(panel.y(row.*metric), 1) << " ";
        svg << "'/>\n";
    }
}

}  // namespace

Result<std::vector<PingpongRow>> parsePingpong(const std::string& output) {
    std::vector<PingpongRow> rows;
    for (const auto& rawLine : split(output, '\n')) {
        auto line = trim(rawLine);
        if (line.empty() || line.front() == '#') continue;
        std::istringstream words{std::string(line)};
        PingpongRow row;
        std::string extra;
        if (!(words >> row.size >> row.latencyUs >> row.bandwidthMBs >> row.bibwMBs) || (words >> extra))
            return makeError(ErrorCode::failed, "pingpong printed an unexpected line: " + truncateForDisplay(line, 80));
        rows.push_back(row);
    }
    if (rows.empty()) return makeError(ErrorCode::failed, "pingpong printed no measurements");
    return rows;
}

Result<AllgatherResult> parseAllgather(const std::string& output) {
    static const std::regex line(R"(allgather_matvec: n=(\d+) ranks=(\d+) repeat=\d+ )"
                                 R"(time_per_iteration_ms=([0-9.eE+-]+) max_error=([0-9.eE+-]+) (verified|FAILED))");
    std::smatch match;
    if (!std::regex_search(output, match, line)) return makeError(ErrorCode::failed, "allgather_matvec printed no result line");
    AllgatherResult result;
    result.ran = true;
    result.n = std::stoi(match[1]);
    result.ranks = std::stoi(match[2]);
    result.timeMs = std::stod(match[3]);
    result.maxError = std::stod(match[4]);
    result.verified = match[5] == "verified";
    return result;
}

std::vector<std::pair<int, int>> benchPairs(int nodes, const std::string& mode) {
    std::vector<std::pair<int, int>> pairs;
    if (nodes < 2) return pairs;
    if (mode == "all") {
        for (int a = 0; a < nodes; ++a)
            for (int b = a + 1; b < nodes; ++b) pairs.emplace_back(a, b);
        return pairs;
    }
    for (int a = 0; a < nodes; ++a) {
        int b = (a + 1) % nodes;
        if (nodes == 2 && a == 1) break;
        pairs.emplace_back(a, b);
    }
    return pairs;
}

void flagSlowPairs(std::vector<PairResult>& pairs) {
    std::vector<double> latencies, bandwidths;
    for (const auto& pair : pairs) {
        if (pair.rows.empty()) continue;
        latencies.push_back(pair.rows.front().latencyUs);
        bandwidths.push_back(pair.rows.back().bandwidthMBs);
    }
    double latencyMedian = median(latencies);
    double bandwidthMedian = median(bandwidths);
    for (auto& pair : pairs) {
        if (pair.rows.empty()) continue;
        double latency = pair.rows.front().latencyUs;
        double bandwidth = pair.rows.back().bandwidthMBs;
        if (latencyMedian > 0 && latency > 2 * latencyMedian) {
            pair.slow = true;
            pair.why = "latency " + format(latency / latencyMedian, 1) + "x the median";
        } else if (bandwidthMedian > 0 && bandwidth < 0.5 * bandwidthMedian) {
            pair.slow = true;
            pair.why = "bandwidth " + format(bandwidth / bandwidthMedian, 2) + "x the median";
        }
    }
}

std::string renderBenchSvg(const BenchReport& report) {
    double xMax = 0, latencyMax = 0, latencyMin = 1e300, bandwidthMax = 0;
    for (const auto& pair : report.pairs)
        for (const auto& row : pair.rows) {
            xMax = std::max(xMax, std::log2(static_cast<double>(std::max(1L, row.size))));
            latencyMax = std::max(latencyMax, row.latencyUs);
            if (row.latencyUs > 0) latencyMin = std::min(latencyMin, row.latencyUs);
            bandwidthMax = std::max(bandwidthMax, row.bandwidthMBs);
        }
    if (latencyMin > latencyMax) latencyMin = 0.1;
    std::ostringstream svg;
    svg << "<svg xmlns='http://www.w3.org/2000/svg' width='1000' height='" << 440 + 16 * report.pairs.size()
        << "' font-family='sans-serif'>\n<rect width='100%' height='100%' fill='white'/>\n";
    svg << "<text x='500' y='24' text-anchor='middle' font-size='16'>ppcs bench: cluster " << report.cluster << ", "
        << report.startedAt << "</text>\n";
    Panel latency{80, 60, 360, 300, 0, std::max(1.0, xMax), latencyMax * 1.5, "latency (one way, log scale)", "microseconds"};
    latency.yMin = latencyMin / 1.5;
    drawPanel(svg, latency, report, &PingpongRow::latencyUs);
    drawPanel(svg, Panel{580, 60, 360, 300, 0, std::max(1.0, xMax), bandwidthMax * 1.1, "bandwidth", "MB/s"}, report,
              &PingpongRow::bandwidthMBs);
    static const char* colors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                   "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"};
    for (std::size_t i = 0; i < report.pairs.size(); ++i) {
        double y = 420 + 16 * static_cast<double>(i);
        svg << "<line x1='80' x2='100' y1='" << y - 4 << "' y2='" << y - 4 << "' stroke='" << colors[i % 10]
            << "' stroke-width='3'/>"
            << "<text x='106' y='" << y << "' font-size='12'>" << report.pairs[i].from << " - " << report.pairs[i].to
            << (report.pairs[i].slow ? " (slow: " + report.pairs[i].why + ")" : "") << "</text>\n";
    }
    svg << "</svg>\n";
    return svg.str();
}

Result<BenchReport> BenchRunner::run(const BenchRequest& request, const std::vector<cluster::Member>& members,
                                     const Progress& progress) {
    BenchReport report;
    report.cluster = request.cluster;
    report.kind = request.kind;
    report.pairsMode = request.pairs;
    const std::string& head = members.front().containerId;
    if (request.kind != "allgather") {
        // Node pairs; a cluster of one node measures head - node.
        std::vector<const cluster::Member*> nodes;
        for (const auto& member : members)
            if (member.role == model::MemberRole::node) nodes.push_back(&member);
        if (nodes.size() < 2) nodes.insert(nodes.begin(), &members.front());
        for (auto [a, b] : benchPairs(static_cast<int>(nodes.size()), request.pairs)) {
            std::vector<std::string> argv{"mpirun",
                                          "-n",
                                          "2",
                                          "--host",
                                          nodes[a]->address + ":1," + nodes[b]->address + ":1",
                                          "pingpong",
                                          "--max-size",
                                          std::to_string(request.maxSize),
                                          "--iterations",
                                          std::to_string(request.iterations)};
            auto ran = engine_.runExec(head, {argv, cluster::kMpiUser, {}, cluster::kSharedDir}, std::chrono::seconds(600));
            if (!ran) return ran.error().context("pingpong " + nodes[a]->hostname + " - " + nodes[b]->hostname);
            if (ran->exitCode != 0)
                return makeError(ErrorCode::failed, "pingpong " + nodes[a]->hostname + " - " + nodes[b]->hostname + " exited " +
                                                        std::to_string(ran->exitCode) + ": " +
                                                        truncateForDisplay(trim(ran->err), 300));
            auto rows = parsePingpong(ran->out);
            if (!rows) return rows.error();
            report.pairs.push_back({nodes[a]->hostname, nodes[b]->hostname, *rows, false, ""});
            progress(Phase::pair, nodes[a]->hostname + " - " + nodes[b]->hostname + ": " + format(rows->front().latencyUs, 2) +
                                      " us, " + format(rows->back().bandwidthMBs, 0) + " MB/s");
        }
        flagSlowPairs(report.pairs);
    }
    if (request.kind == "allgather" || request.kind == "all") {
        auto ran = engine_.runExec(
            head,
            {{"mpirun", "allgather_matvec", "--size", "2000", "--repeat", "10"}, cluster::kMpiUser, {}, cluster::kSharedDir},
            std::chrono::seconds(600));
        if (!ran) return ran.error().context("allgather_matvec");
        auto result = parseAllgather(ran->out);
        if (!result) return result.error().context("allgather_matvec (exit " + std::to_string(ran->exitCode) + ")");
        report.allgather = *result;
        progress(Phase::allgather, std::to_string(result->ranks) + " ranks: " + format(result->timeMs, 3) +
                                       " ms per iteration, " + (result->verified ? "verified" : "FAILED"));
    }
    return report;
}

}  // namespace ppcs::jobs
