#include "model/bench.h"

#include <algorithm>

#include "model/cluster_spec.h"

namespace ppcs::model {

Status validateBenchRequest(const BenchRequest& request) {
    static const std::vector<std::string> kinds{"latency", "bandwidth", "bibw", "allgather", "all"};
    if (auto name = validateClusterName(request.cluster); !name) return name;
    if (std::find(kinds.begin(), kinds.end(), request.kind) == kinds.end())
        return makeError(ErrorCode::usage,
                         "bench kind '" + request.kind + "' is not one of latency, bandwidth, bibw, allgather, all");
    if (request.pairs != "ring" && request.pairs != "all") return makeError(ErrorCode::usage, "--pairs must be ring or all");
    if (request.maxSize < 1 || request.maxSize > (1 << 26))
        return makeError(ErrorCode::usage, "--max-size must be from 1 to 67108864 bytes");
    if (request.iterations < 1 || request.iterations > 100000)
        return makeError(ErrorCode::usage, "--iterations must be from 1 to 100000");
    return {};
}

}  // namespace ppcs::model
