#pragma once
// How big each member of a cluster is (CPU and memory limits, the size of /dev/shm) and the host
// folder bound into every member: the user's words parsed as Docker parses them, and validation
// (pure: no engine, no disk). cluster/node_size.h records both in labels.

#include <cstdint>
#include <string>

#include "common/result.h"

namespace ppcs::model {

inline constexpr std::int64_t kNanoCpusPerCpu = 1000000000;
inline constexpr std::int64_t kMinNanoCpus = 10000000;    // 0.01 CPU, Docker's smallest
inline constexpr std::int64_t kMinMemoryBytes = 6 << 20;  // Docker refuses less than 6 MiB
inline constexpr std::int64_t kMinShmBytes = 1 << 20;
inline constexpr std::int64_t kMaxSizeBytes = std::int64_t{1} << 50;  // 1 PiB: anything larger is a typo

struct NodeSize {
    std::int64_t nanoCpus = 0;     // --cpus x 10^9 -> TaskTemplate.Resources.Limits.NanoCPUs; 0: no limit
    std::int64_t memoryBytes = 0;  // --memory -> TaskTemplate.Resources.Limits.MemoryBytes; 0: no limit
    std::int64_t shmBytes = 0;     // --shm-size -> a tmpfs at /dev/shm of this size; 0: defaultShmBytes()
};

// A folder of the Docker host bound read-write into every member.
struct HostMount {
    std::string source;      // absolute path on the Docker host; empty: no folder is bound
    std::string target;      // absolute path in every member (default: /mnt/<basename of source>)
    bool everyHost = false;  // --mount-on-every-host: every host of the swarm has `source`
};

// "1.5" -> 1500000000: a decimal number of CPUs (at most 9 decimals), at least 0.01.
Result<std::int64_t> parseCpus(const std::string& text);
// "512m", "1g", "1.5G", "64MiB", "1048576" -> bytes, units b k m g t p (powers of 1024, any case,
// an optional "i" and "b" after them), as Docker reads --memory and --shm-size. option names the
// flag in the usage error.
Result<std::int64_t> parseByteSize(const std::string& text, const std::string& option);
std::string formatBytes(std::int64_t bytes);    // "64 MiB", "1 GiB", "1.5 GiB", "512 B"
std::string formatCpus(std::int64_t nanoCpus);  // "1", "1.5", "0.25"

// Usage errors for values out of range (0 means "not set" for each field).
Status validateNodeSize(const NodeSize& size);
// MPI slots per member that a CPU limit allows: whole CPUs, at least 1; 0 without a limit.
int slotsForCpus(std::int64_t nanoCpus);
// /dev/shm when --shm-size is not given: half of the memory limit, or without one half of the
// host's memory (what Linux gives /dev/shm on a machine of its own), never Docker's 64 MB;
// rounded down to whole 4 KiB pages, so that it is the size the tmpfs then has.
std::int64_t defaultShmBytes(std::int64_t memoryBytes, std::int64_t hostMemoryBytes);

// "HOSTDIR[:PATH]" as the user wrote it: HOSTDIR relative to cwd is made absolute, without "."
// and ".." parts (lexically: the CLI then resolves it on disk); PATH defaults to /mnt/<basename of HOSTDIR>. The split is at
// the first ':', so HOSTDIR cannot hold one.
Result<HostMount> parseHostMount(const std::string& text, const std::string& cwd);
// Both paths absolute and clean (no "." or ".." part, no "//"); the source not "/"; the target
// not the shared folder (nor inside or above it), nor a system folder (/, /etc, /usr, /dev, /proc,
// /tmp, mpiuser's home and ssh folder, ...).
Status validateHostMount(const HostMount& mount);

}  // namespace ppcs::model
