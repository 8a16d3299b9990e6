#include "model/node_size.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <vector>

#include "common/strings.h"
#include "model/cluster_spec.h"

namespace ppcs::model {
namespace {

bool isDigit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }

// Digits, then optionally '.' and digits: the whole and fractional parts as written, or false.
bool splitDecimal(const std::string& text, std::size_t& end, std::string& whole, std::string& fraction) {
    std::size_t i = 0;
    while (i < text.size() && isDigit(text[i])) whole += text[i++];
    if (i < text.size() && text[i] == '.') {
        ++i;
        while (i < text.size() && isDigit(text[i])) fraction += text[i++];
        if (fraction.empty()) return false;
    }
    end = i;
    return !(whole.empty() && fraction.empty()) && whole.size() <= 15;
}

Error notASize(const std::string& option, const std::string& text) {
    return makeError(ErrorCode::usage,
                     option + " '" + truncateForDisplay(text, 40) +
                         "' is not a size: give a number and an optional unit b, k, m, g or t (e.g. 512m, 1g, 1.5g)");
}

// Whether path is `dir` or lies inside it.
bool within(const std::string& path, const std::string& dir) { return path == dir || startsWith(path, dir + "/"); }

bool isCleanAbsolute(const std::string& path) {
    if (path.empty() || path.front() != '/' || path.find("//") != std::string::npos) return false;
    if (path.size() > 1 && path.back() == '/') return false;
    for (const auto& part : split(path.substr(1), '/'))
        if (part == "." || part == "..") return false;
    return true;
}

// "/a/./b//c/../d/" -> "/a/b/d": the path as written, without "." and ".." parts.
std::string lexicallyNormal(const std::string& absolute) {
    std::vector<std::string> parts;
    for (const auto& part : split(absolute, '/')) {
        if (part.empty() || part == ".") continue;
        if (part == "..") {
            if (!parts.empty()) parts.pop_back();
        } else {
            parts.push_back(part);
        }
    }
    return "/" + join(parts, "/");
}

std::string decimal(std::int64_t value, std::int64_t unit) {
    std::int64_t whole = value / unit;
    std::int64_t tenths = (value % unit) * 10 / unit;
    return std::to_string(whole) + (tenths ? "." + std::to_string(tenths) : "");
}

}  // namespace

Result<std::int64_t> parseCpus(const std::string& text) {
    std::size_t end = 0;
    std::string whole, fraction;
    if (!splitDecimal(text, end, whole, fraction) || end != text.size() || fraction.size() > 9 || whole.size() > 6)
        return makeError(ErrorCode::usage,
                         "--cpus '" + truncateForDisplay(text, 40) + "' is not a number of CPUs (e.g. 1, 2, 1.5)");
    fraction.resize(9, '0');
    std::int64_t nano = std::atoll(whole.empty() ? "0" : whole.c_str()) * kNanoCpusPerCpu + std::atoll(fraction.c_str());
    if (nano < kMinNanoCpus) return makeError(ErrorCode::usage, "--cpus must be at least 0.01, not " + text);
    return nano;
}

Result<std::int64_t> parseByteSize(const std::string& text, const std::string& option) {
    std::size_t end = 0;
    std::string whole, fraction;
    if (!splitDecimal(text, end, whole, fraction)) return notASize(option, text);
    std::string unit = text.substr(end);
    if (!unit.empty() && unit.front() == ' ') unit.erase(0, 1);
    static const std::string kUnits = "bkmgtp";
    int power = 0;
    std::size_t at = 0;
    if (at < unit.size()) {
        auto found = kUnits.find(static_cast<char>(std::tolower(static_cast<unsigned char>(unit[at]))));
        if (found != std::string::npos && found > 0) {
            power = static_cast<int>(found);
            ++at;
            if (at < unit.size() && std::tolower(static_cast<unsigned char>(unit[at])) == 'i') ++at;
        }
    }
    if (at < unit.size() && std::tolower(static_cast<unsigned char>(unit[at])) == 'b') ++at;
    if (at != unit.size()) return notASize(option, text);
    long double value = std::strtold((whole.empty() ? "0" : whole).c_str(), nullptr);
    if (!fraction.empty()) value += std::strtold(("0." + fraction).c_str(), nullptr);
    for (int i = 0; i < power; ++i) value *= 1024;
    if (value > static_cast<long double>(kMaxSizeBytes))
        return makeError(ErrorCode::usage, option + " " + text + " is larger than 1 PiB");
    return static_cast<std::int64_t>(value);
}

std::string formatBytes(std::int64_t bytes) {
    static const char* kUnits[] = {"KiB", "MiB", "GiB", "TiB", "PiB"};
    if (bytes < 1024) return std::to_string(bytes) + " B";
    std::int64_t unit = 1024;
    int index = 0;
    while (index < 4 && bytes >= unit * 1024) {
        unit *= 1024;
        ++index;
    }
    return decimal(bytes, unit) + " " + kUnits[index];
}

std::string formatCpus(std::int64_t nanoCpus) {
    std::string text = std::to_string(nanoCpus / kNanoCpusPerCpu);
    std::string fraction = std::to_string(nanoCpus % kNanoCpusPerCpu);
    fraction.insert(0, 9 - fraction.size(), '0');
    while (!fraction.empty() && fraction.back() == '0') fraction.pop_back();
    return fraction.empty() ? text : text + "." + fraction;
}

Status validateNodeSize(const NodeSize& size) {
    if (size.nanoCpus != 0 && (size.nanoCpus < kMinNanoCpus || size.nanoCpus > 1000000 * kNanoCpusPerCpu))
        return makeError(ErrorCode::usage, "--cpus must be at least 0.01");
    if (size.memoryBytes != 0 && (size.memoryBytes < kMinMemoryBytes || size.memoryBytes > kMaxSizeBytes))
        return makeError(ErrorCode::usage,
                         "--memory must be at least 6 MiB (Docker's smallest limit), not " + formatBytes(size.memoryBytes));
    if (size.shmBytes != 0 && (size.shmBytes < kMinShmBytes || size.shmBytes > kMaxSizeBytes))
        return makeError(ErrorCode::usage, "--shm-size must be at least 1 MiB, not " + formatBytes(size.shmBytes));
    return {};
}

int slotsForCpus(std::int64_t nanoCpus) {
    if (nanoCpus <= 0) return 0;
    auto whole = nanoCpus / kNanoCpusPerCpu;
    return whole < 1 ? 1 : whole > kMaxSlots ? kMaxSlots : static_cast<int>(whole);
}

std::int64_t defaultShmBytes(std::int64_t memoryBytes, std::int64_t hostMemoryBytes) {
    constexpr std::int64_t kFloor = 256 << 20;  // when the host's memory is unknown
    constexpr std::int64_t kPage = 4096;        // tmpfs sizes are whole pages: the kernel rounds up
    auto half = [](std::int64_t bytes) { return bytes / 2 / kPage * kPage; };
    if (memoryBytes > 0) return std::max<std::int64_t>(half(memoryBytes), kMinShmBytes);
    return std::max<std::int64_t>(half(hostMemoryBytes), kFloor);
}

Result<HostMount> parseHostMount(const std::string& text, const std::string& cwd) {
    auto colon = text.find(':');
    HostMount mount;
    mount.source = text.substr(0, colon);
    if (colon != std::string::npos) mount.target = text.substr(colon + 1);
    if (mount.source.empty())
        return makeError(ErrorCode::usage, "--mount '" + truncateForDisplay(text, 80) + "': give HOSTDIR[:PATH]");
    if (mount.source.front() != '/') mount.source = cwd + "/" + mount.source;
    mount.source = lexicallyNormal(mount.source);
    if (colon == std::string::npos) mount.target = "/mnt/" + mount.source.substr(mount.source.rfind('/') + 1);
    return mount;
}

Status validateHostMount(const HostMount& mount) {
    if (!isCleanAbsolute(mount.source))
        return makeError(ErrorCode::usage, "--mount: the host folder '" + truncateForDisplay(mount.source, 120) +
                                               "' must be an absolute path without '.' or '..'");
    // The split of HOSTDIR[:PATH] and the label SOURCE:TARGET both cut at the first ':'.
    if (mount.source.find(':') != std::string::npos)
        return makeError(ErrorCode::usage, "--mount: the host folder cannot contain ':'");
    if (mount.source == "/")
        return makeError(ErrorCode::usage, "--mount: binding the host's whole file system (/) is refused: name a folder");
    if (!isCleanAbsolute(mount.target) || mount.target == "/")
        return makeError(ErrorCode::usage,
                         "--mount: PATH '" + truncateForDisplay(mount.target, 120) +
                             "' must be an absolute path in the members, without '.' or '..' (default /mnt/<folder name>)");
    std::string shared = kSharedDir;
    if (within(mount.target, shared) || within(shared, mount.target))
        return makeError(ErrorCode::usage, "--mount: PATH " + mount.target + " clashes with the cluster's shared folder " +
                                               shared + ": choose another");
    static const std::vector<std::string> kSystemTrees{"/bin",
                                                       "/boot",
                                                       "/dev",
                                                       "/etc",
                                                       "/lib",
                                                       "/lib32",
                                                       "/lib64",
                                                       "/libx32",
                                                       "/proc",
                                                       "/run",
                                                       "/sbin",
                                                       "/sys",
                                                       "/usr",
                                                       "/var",
                                                       "/home/mpiuser/.ssh",
                                                       "/home/mpiuser/.openmpi"};
    static const std::vector<std::string> kSystemDirs{"/home", "/home/mpiuser", "/root", "/tmp",
                                                      "/mnt",  "/opt",          "/srv",  "/media"};
    bool system = false;
    for (const auto& tree : kSystemTrees) system = system || within(mount.target, tree);
    for (const auto& dir : kSystemDirs) system = system || mount.target == dir;
    if (system)
        return makeError(ErrorCode::usage,
                         "--mount: PATH " + mount.target + " is a system folder of the members: choose another (e.g. /mnt/data)");
    return {};
}

}  // namespace ppcs::model
