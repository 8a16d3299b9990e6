#pragma once
// JSON messages of the measuring routes:
//   POST /v1/clusters/bench   <- BenchRequest -> stream: progress per pair, then a BenchReport
//   GET  /v1/clusters/NAME/stats -> {"cluster": C, "members": [MemberStats...]}

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
