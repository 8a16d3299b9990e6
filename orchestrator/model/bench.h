#pragma once
// What `ppcs-cluster bench` asks for and what it reports: pingpong between node pairs and
// allgather_matvec across the cluster (values and the request's checks; jobs/bench.h runs them).

#include <string>
#include <vector>

#include "common/result.h"

namespace ppcs::model {

struct BenchRequest {
    std::string cluster = "ppcs";
    std::string kind = "all";    // latency, bandwidth, bibw, allgather, all
    std::string pairs = "ring";  // ring: each node with the next; all: every pair of nodes
    int maxSize = 1 << 20;       // bytes, largest pingpong message
    int iterations = 50;
};

struct PingpongRow {
    long size = 0;
    double latencyUs = 0;
    double bandwidthMBs = 0;
    double bibwMBs = 0;
};

struct PairResult {
    std::string from;  // hostnames
    std::string to;
    std::vector<PingpongRow> rows;
    bool slow = false;
    std::string why;  // "latency 2.4x the median", ...
};

struct AllgatherResult {
    bool ran = false;
    int n = 0;
    int ranks = 0;
    double timeMs = 0;
    double maxError = 0;
    bool verified = false;
};

struct BenchReport {
    std::string cluster;
    std::string kind;
    std::string pairsMode;
    std::string startedAt;
    std::vector<PairResult> pairs;
    AllgatherResult allgather;
    std::string jsonPath;  // where ppcsd saved the report and the plot
    std::string svgPath;
};

Status validateBenchRequest(const BenchRequest& request);

}  // namespace ppcs::model
