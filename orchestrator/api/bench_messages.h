#pragma once
// JSON messages of the measuring operations (kBenchCluster, kClusterStats in operations.h): a
// BenchRequest streams progress per pair, then a BenchReport; stats are
// {"cluster": C, "members": [MemberStats...]}.

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "model/bench.h"
#include "model/cluster_status.h"

namespace ppcs::api {

std::string encodeBenchRequest(const model::BenchRequest& request);
Result<model::BenchRequest> decodeBenchRequest(std::string_view body);  // usage errors for bad fields
std::string encodeBenchReport(const model::BenchReport& report);        // also the saved JSON file
Result<model::BenchReport> decodeBenchReport(std::string_view body);
std::string encodeClusterStats(const std::string& cluster, const std::vector<model::MemberStats>& members);
Result<std::vector<model::MemberStats>> decodeClusterStats(std::string_view body);

}  // namespace ppcs::api
