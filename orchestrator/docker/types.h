#pragma once
// Value types for the Engine API objects ppcs uses. Each field names the engine field it maps to.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ppcs::docker {

using Labels = std::map<std::string, std::string>;

struct ImageInfo {
    std::string id;                      // Id ("sha256:...")
    std::vector<std::string> repoTags;   // RepoTags
    Labels labels;                       // Config.Labels
    std::int64_t sizeBytes = 0;          // Size
    std::string created;                 // Created (RFC 3339)
};

struct ContainerSpec {
    std::string name;                    // ?name= query parameter; empty lets the engine choose
    std::string image;                   // Image
    std::vector<std::string> cmd;        // Cmd (empty: the image's CMD)
    std::vector<std::string> env;        // Env, "KEY=value"
    Labels labels;                       // Labels
    std::string hostname;                // Hostname
    std::string networkMode;             // HostConfig.NetworkMode ("none", "bridge", a network name)
};

struct ContainerSummary {
    std::string id;                      // Id
    std::vector<std::string> names;      // Names
    std::string state;                   // State ("running", "exited", ...)
    Labels labels;                       // Labels
};

struct ExecSpec {
    std::vector<std::string> cmd;        // Cmd, an argv vector: never passed through a shell
    std::string user;                    // User ("mpiuser"); empty: the container's user
    std::vector<std::string> env;        // Env
    std::string workingDir;              // WorkingDir
};

struct ExecState {
    bool running = false;                // Running
    std::optional<int> exitCode;         // ExitCode (null while running)
};

// One line of a build, pull or import progress stream.
struct ProgressMessage {
    std::string text;                    // stream, or status (+ progress), without trailing newline
    std::string error;                   // error / errorDetail.message: the operation failed
    std::string auxId;                   // aux.ID: the image a build produced
};

}  // namespace ppcs::docker
