#pragma once
// JSON messages of the cluster operations (up, scale, down, status, ips, list: see operations.h).

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "model/cluster_status.h"
#include "model/progress.h"

namespace ppcs::api {

inline constexpr int kDefaultReadyTimeoutSeconds = 600;
inline constexpr int kMaxReadyTimeoutSeconds = 3600;

struct UpRequest {
    model::ClusterSpec spec;
    int timeoutSeconds = kDefaultReadyTimeoutSeconds;
};

struct ScaleRequest {
    std::string name = model::kDefaultClusterName;
    int nodeCount = 0;
    int timeoutSeconds = kDefaultReadyTimeoutSeconds;
};

struct DownRequest {
    std::string name = model::kDefaultClusterName;
    bool removeVolume = false;
};

// Decoders fail with ErrorCode::usage on malformed JSON, unknown fields, wrong types and values
// out of range (node counts, names, timeouts): the same checks the CLI makes.
std::string encodeUpRequest(const UpRequest& request);
Result<UpRequest> decodeUpRequest(std::string_view body);
std::string encodeScaleRequest(const ScaleRequest& request);
Result<ScaleRequest> decodeScaleRequest(std::string_view body);
std::string encodeDownRequest(const DownRequest& request);
Result<DownRequest> decodeDownRequest(std::string_view body);

std::string encodeClusterStatus(const model::ClusterStatus& status);  // also the CLI's status --json
Result<model::ClusterStatus> decodeClusterStatus(std::string_view body);
std::string encodeDownReport(const model::DownReport& report);
Result<model::DownReport> decodeDownReport(std::string_view body);
std::string encodeClusterList(const std::vector<std::string>& names);
Result<std::vector<std::string>> decodeClusterList(std::string_view body);

// {"head": "10.0.0.2", "nodes": ["10.0.0.3", ...]} in the order of the hostfile: the CLI's ips --json.
std::string encodeAddresses(const model::ClusterStatus& status);
// Back into a ClusterStatus whose members carry only role and address.
Result<model::ClusterStatus> decodeAddresses(std::string_view body);

}  // namespace ppcs::api
