#pragma once
// JSON messages of the measuring operations (kBenchCluster, kClusterStats in operations.h): a
// BenchRequest streams progress per pair, then a BenchReport; stats are
// {"cluster": C, "members": [MemberStats...]}.

#include <string>
#include <string_view>
#include <vector>

#include "cluster/stats.h"
#include "common/result.h"
#include "jobs/bench.h"

namespace ppcs::api {

std::string encodeBenchRequest(const jobs::BenchRequest& request);
Result<jobs::BenchRequest> decodeBenchRequest(std::string_view body);  // usage errors for bad fields
std::string encodeBenchReport(const jobs::BenchReport& report);        // also the saved JSON file
Result<jobs::BenchReport> decodeBenchReport(std::string_view body);
std::string encodeClusterStats(const std::string& cluster, const std::vector<cluster::MemberStats>& members);
Result<std::vector<cluster::MemberStats>> decodeClusterStats(std::string_view body);

}  // namespace ppcs::api
