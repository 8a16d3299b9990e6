#pragma once
// JSON messages of the cluster operations (up, scale, down, status, ips, list: see operations.h).

#include <string>
#include <string_view>
#include <vector>

#include "cluster/cluster_manager.h"
#include "common/result.h"

namespace ppcs::api {

inline constexpr int kDefaultReadyTimeoutSeconds = 600;
inline constexpr int kMaxReadyTimeoutSeconds = 3600;

struct UpRequest {
    cluster::ClusterSpec spec;
    int timeoutSeconds = kDefaultReadyTimeoutSeconds;
};

struct ScaleRequest {
    std::string name = cluster::kDefaultClusterName;
    int nodes = 0;
    int timeoutSeconds = kDefaultReadyTimeoutSeconds;
};

struct DownRequest {
    std::string name = cluster::kDefaultClusterName;
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

std::string encodeClusterStatus(const cluster::ClusterStatus& status);  // also the CLI's status --json
Result<cluster::ClusterStatus> decodeClusterStatus(std::string_view body);
std::string encodeDownReport(const cluster::DownReport& report);
Result<cluster::DownReport> decodeDownReport(std::string_view body);
std::string encodeClusterList(const std::vector<std::string>& names);
Result<std::vector<std::string>> decodeClusterList(std::string_view body);

// {"head": "10.0.0.2", "nodes": ["10.0.0.3", ...]} in the order of the hostfile: the CLI's ips --json.
std::string encodeAddresses(const cluster::ClusterStatus& status);
// Back into a ClusterStatus whose members carry only role and address.
Result<cluster::ClusterStatus> decodeAddresses(std::string_view body);

}  // namespace ppcs::api
