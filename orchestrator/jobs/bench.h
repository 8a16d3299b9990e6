#pragma once
// `ppcs-cluster bench`: the image's pingpong between node pairs (latency, bandwidth, bidirectional
// bandwidth over message sizes) and allgather_matvec across the cluster. Parsing, pair choice,
// slow-pair flagging and the SVG plot are pure; BenchRunner runs the programs in the head.

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "cluster/readiness.h"
#include "common/result.h"
#include "docker/engine.h"
#include "model/bench.h"

namespace ppcs::jobs {

using model::AllgatherResult;
using model::BenchReport;
using model::BenchRequest;
using model::PairResult;
using model::Phase;
using model::PingpongRow;
using model::Progress;
using model::validateBenchRequest;

// Rows of pingpong's output ("SIZE LATENCY BANDWIDTH BIBW"); comment lines are skipped.
Result<std::vector<PingpongRow>> parsePingpong(const std::string& output);
// allgather_matvec's one line.
Result<AllgatherResult> parseAllgather(const std::string& output);

// Index pairs over `nodes` nodes: ring (i, i+1 mod n; one pair for two nodes), or all.
std::vector<std::pair<int, int>> benchPairs(int nodes, const std::string& mode);

// Marks pairs whose smallest-message latency is over twice the median, or whose largest-message
// bandwidth is under half the median.
void flagSlowPairs(std::vector<PairResult>& pairs);

// Latency and bandwidth against message size (log scale), one line per pair.
std::string renderBenchSvg(const BenchReport& report);

class BenchRunner {
public:
    explicit BenchRunner(docker::Engine& engine) : engine_(engine) {}
    // members: head first, all ready. progress(phase, text) reports each pair as it is done.
    Result<BenchReport> run(const BenchRequest& request, const std::vector<cluster::Member>& members, const Progress& progress);

private:
    docker::Engine& engine_;
};

}  // namespace ppcs::jobs
