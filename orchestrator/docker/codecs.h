#pragma once
// JSON <-> value types for the Engine API. Decoders fail with context naming what was being read;
// they never throw.

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "docker/types.h"

namespace ppcs::docker {

Result<ImageInfo> decodeImageInfo(std::string_view json);
Result<std::vector<ContainerSummary>> decodeContainerList(std::string_view json);
// {"Id": "..."} replies from create calls.
Result<std::string> decodeCreatedId(std::string_view json);
Result<ExecState> decodeExecState(std::string_view json);
Result<ProgressMessage> decodeProgressLine(std::string_view line);

Result<EngineInfo> decodeEngineInfo(std::string_view json);
Result<std::vector<NetworkInfo>> decodeNetworkList(std::string_view json);
Result<std::vector<VolumeInfo>> decodeVolumeList(std::string_view json);  // {"Volumes": [...]}
Result<std::vector<SecretInfo>> decodeSecretList(std::string_view json);
Result<ServiceInfo> decodeService(std::string_view json);
Result<std::vector<ServiceInfo>> decodeServiceList(std::string_view json);
Result<std::vector<TaskInfo>> decodeTaskList(std::string_view json);
Result<std::vector<SwarmNode>> decodeNodeList(std::string_view json);
Result<EngineEvent> decodeEvent(std::string_view json);
// One stats sample; CPU use between it and its precpu_stats (Docker's ?stream=false reply carries
// a sample taken about a second before).
Result<ContainerStats> decodeContainerStats(std::string_view json);
// Whether a stats reply carries that earlier sample: Podman's ?stream=false reply comes at once
// with an empty precpu_stats (no system_cpu_usage), so its CPU use needs a second reply.
Result<bool> statsHavePreviousSample(std::string_view json);
// Counters of the later reply, CPU use between the cpu_stats of the two.
Result<ContainerStats> decodeContainerStatsPair(std::string_view earlier, std::string_view later);
// {"ID": "..."} replies from swarm create calls (services, secrets).
Result<std::string> decodeSwarmCreatedId(std::string_view json);

std::string encodeContainerSpec(const ContainerSpec& spec);
std::string encodeNetworkSpec(const NetworkSpec& spec);
std::string encodeServiceSpec(const ServiceSpec& spec);
std::string encodeSecretSpec(const std::string& name, const std::string& data, const Labels& labels);
// The full spec of a service as GET /services/{id} returned it, with its replica count changed:
// an update must send the whole spec back.
Result<std::string> respecReplicas(std::string_view serviceJson, std::uint64_t replicas);
// The spec of a node as GET /nodes/{id} returned it, with labels set among its own (the others
// are kept as they are).
Result<std::string> respecNodeLabels(std::string_view nodeJson, const Labels& labels);
// The full spec of a service as GET /services/{id} returned it, with labels set among its own; a
// label given an empty value is removed. Nothing else changes, so the tasks keep running.
Result<std::string> respecServiceLabels(std::string_view serviceJson, const Labels& labels);
Result<SwarmJoinInfo> decodeSwarmJoinInfo(std::string_view json);  // GET /swarm
// Version.Index of a swarm object (service, node), which its update must name.
Result<std::uint64_t> decodeVersionIndex(std::string_view json);
// An object name or ID for use inside a URL path. ':' and '/' stay as they are (both are legal in
// a path, and the engine's routes expect names like "registry:5000/repo:tag"); "." and ".."
// segments are encoded so that no name can climb to another route.
std::string encodePathPart(const std::string& name);
// {"label": [...], key: [values]} for ?filters=
std::string encodeFilters(const std::map<std::string, std::vector<std::string>>& filters);
// The ?filters= of GET /events as Podman reads them: its "event" filter matches its own names for
// what it reports under Docker's ("die" is "died", a container's "destroy" is "remove"), so a
// filter on Docker's names alone would let nothing through.
std::map<std::string, std::vector<std::string>> podmanEventFilters(std::map<std::string, std::vector<std::string>> filters);
std::string encodeExecSpec(const ExecSpec& spec);
std::string encodeLabelFilter(const Labels& labels);  // {"label":["k=v",...]} for ?filters=
// Whether labels carry every one of wanted (an empty wanted value: the key with any value), as a
// ?filters= label filter means it. Podman 4.3's volume list matches any one of several labels
// instead: lists are filtered once more with this.
bool hasLabels(const Labels& labels, const Labels& wanted);
std::string encodeStringMap(const Labels& map);  // {"k":"v"} for ?labels= and ?buildargs=

// The "cause" of Podman's error bodies ({"cause": ..., "message": ..., "response": 500}): its
// short reason, which tells a conflict from a failure where Podman's status does not (empty
// for Docker's bodies).
std::string engineErrorCause(std::string_view body);
// The engine's {"message": "..."} error body; the raw body (trimmed) when it is not that shape.
std::string engineErrorMessage(std::string_view body);

// Splits a byte stream of newline-delimited JSON into complete lines.
class LineSplitter {
public:
    // Appends bytes and returns every line completed by them (without the newline).
    std::vector<std::string> feed(std::string_view bytes);
    // What is left after the last newline (a final line without one).
    std::string rest() { return std::move(pending_); }

private:
    std::string pending_;
};

}  // namespace ppcs::docker
