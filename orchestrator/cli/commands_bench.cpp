// `ppcs-cluster bench` and `ppcs-cluster stats`: measuring a cluster.

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <memory>
#include <thread>

#include "api/client.h"
#include "cli/cli.h"
#include "cli/daemon_launcher.h"
#include "cli/output.h"
#include "common/strings.h"

namespace ppcs::cli {
namespace {

struct StatsOptions {
    std::string name = model::kDefaultClusterName;
    bool watch = false;
};

void printBench(const model::BenchReport& report) {
    if (!report.pairs.empty()) {
        long small = report.pairs.front().rows.front().size;
        long large = report.pairs.front().rows.back().size;
        std::printf("%-34s %14s %18s %18s  %s\n", "PAIR", ("lat " + std::to_string(small) + "B us").c_str(),
                    ("bw " + std::to_string(large) + "B MB/s").c_str(), ("bibw " + std::to_string(large) + "B MB/s").c_str(), "");
        for (const auto& pair : report.pairs)
            std::printf("%-34s %14.2f %18.1f %18.1f  %s\n", (pair.from + " - " + pair.to).c_str(), pair.rows.front().latencyUs,
                        pair.rows.back().bandwidthMBs, pair.rows.back().bibwMBs, pair.slow ? ("SLOW: " + pair.why).c_str() : "");
    }
    if (report.allgather.ran)
        std::printf("allgather_matvec: n=%d on %d ranks, %.3f ms per iteration, %s\n", report.allgather.n, report.allgather.ranks,
                    report.allgather.timeMs, report.allgather.verified ? "verified" : "FAILED");
    std::printf("results: %s\nplot:    %s\n", report.jsonPath.c_str(), report.svgPath.c_str());
}

int runBench(const GlobalOptions& global, const model::BenchRequest& request) {
    if (auto valid = model::validateBenchRequest(request); !valid) return reportError(valid.error());
    auto endpoint = ensureDaemon(global.stateDir);
    if (!endpoint) return reportError(endpoint.error());
    ProgressDisplay display;
    auto report = api::ApiClient(*endpoint).bench(
        request, [&display](model::Phase phase, const std::string& text) { display.show(phase, text, false); });
    display.finish();
    if (!report) return reportError(report.error());
    if (global.json)
        std::printf("%s\n", api::encodeBenchReport(*report).c_str());
    else
        printBench(*report);
    if (report->allgather.ran && !report->allgather.verified) return kExitFailure;
    return 0;
}

int showStats(const GlobalOptions& global, const StatsOptions& options) {
    if (auto valid = model::validateClusterName(options.name); !valid) return reportError(valid.error());
    auto endpoint = ensureDaemon(global.stateDir);
    if (!endpoint) return reportError(endpoint.error());
    api::ApiClient client(*endpoint);
    while (true) {
        auto stats = client.clusterStats(options.name);
        if (!stats) return reportError(stats.error());
        if (global.json) {
            std::printf("%s\n", api::encodeClusterStats(options.name, *stats).c_str());
        } else {
            std::printf("%-24s %8s %12s %12s %12s %12s\n", "MEMBER", "CPU %", "MEMORY", "LIMIT", "NET RX", "NET TX");
            for (const auto& member : *stats) {
                if (!member.error.empty()) {
                    std::printf("%-24s %s\n", member.hostname.c_str(), member.error.c_str());
                    continue;
                }
                std::printf("%-24s %8.1f %12s %12s %12s %12s\n", member.hostname.c_str(), member.stats.cpuPercent,
                            formatMebibytes(member.stats.memoryBytes).c_str(),
                            formatMebibytes(member.stats.memoryLimitBytes).c_str(), formatMebibytes(member.stats.rxBytes).c_str(),
                            formatMebibytes(member.stats.txBytes).c_str());
            }
        }
        std::fflush(stdout);
        if (!options.watch) return 0;
        std::this_thread::sleep_for(std::chrono::seconds(1));
        if (!global.json) std::printf("\n");
    }
}

}  // namespace

void addBenchCommands(CLI::App& app, const GlobalOptions& global, Action& action) {
    auto request = std::make_shared<model::BenchRequest>();
    auto* bench =
        app.add_subcommand("bench", "Ping-pong between node pairs and Allgather across the cluster; saves JSON and an SVG plot");
    bench->add_option("kind", request->kind, "latency, bandwidth, bibw, allgather or all")->capture_default_str();
    bench->add_option("--pairs", request->pairs, "ring (each node with the next) or all")->capture_default_str();
    bench->add_option("--max-size", request->maxSize, "Largest ping-pong message in bytes")->capture_default_str();
    bench->add_option("--iterations", request->iterations, "Ping-pong iterations per size")->capture_default_str();
    addClusterNameOption(bench, request->cluster);
    bench->callback([&global, &action, request] { action = [&global, request] { return runBench(global, *request); }; });

    auto options = std::make_shared<StatsOptions>();
    auto* stats = app.add_subcommand("stats", "CPU, memory and network I/O of every container of a cluster, head first");
    addClusterNameOption(stats, options->name);
    stats->add_flag("--watch", options->watch, "Refresh until interrupted");
    stats->callback([&global, &action, options] { action = [&global, options] { return showStats(global, *options); }; });
}

}  // namespace ppcs::cli
