#include "cluster/hostfile.h"

#include <arpa/inet.h>

#include <set>
#include <sstream>

#include "cluster/spec.h"
#include "common/strings.h"

namespace ppcs::cluster {
namespace {

bool isIpv4(const std::string& text) {
    in_addr parsed{};
    return ::inet_pton(AF_INET, text.c_str(), &parsed) == 1;
}

bool isSafeName(const std::string& name) {
    for (char c : name)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-')) return false;
    return true;
}

Status checkEntry(const HostEntry& entry, std::set<std::string>& seen) {
    if (!isIpv4(entry.address)) return makeError(ErrorCode::usage, "hostfile: '" + entry.address + "' is not an IPv4 address");
    if (entry.slots < 1 || entry.slots > kMaxSlots)
        return makeError(ErrorCode::usage,
                         "hostfile: slots for " + entry.address + " must be from 1 to " + std::to_string(kMaxSlots));
    if (!isSafeName(entry.name))
        return makeError(ErrorCode::usage, "hostfile: host name '" + entry.name + "' has unsafe characters");
    if (entry.container.find_first_not_of("0123456789abcdef") != std::string::npos ||
        (!entry.container.empty() && entry.name.empty()))
        return makeError(ErrorCode::usage, "hostfile: container '" + entry.container + "' of " + entry.address +
                                               " is not a container ID after a name");
    if (!seen.insert(entry.address).second) return makeError(ErrorCode::usage, "hostfile: " + entry.address + " is listed twice");
    return {};
}

Result<int> parseSlots(const std::string& word, int lineNumber) {
    std::string value = word.substr(6);
    std::string where = "hostfile line " + std::to_string(lineNumber);
    if (value.empty() || value.size() > 4 || value.find_first_not_of("0123456789") != std::string::npos)
        return makeError(ErrorCode::usage, where + ": '" + word + "' is not slots=N");
    return std::stoi(value);
}

}  // namespace

Result<std::string> renderHydraHostfile(const std::vector<HostEntry>& entries) {
    std::set<std::string> seen;
    std::ostringstream out;
    for (const auto& entry : entries) {
        if (auto ok = checkEntry(entry, seen); !ok) return ok.error();
        out << entry.address << ":" << entry.slots << "\n";
    }
    return out.str();
}

Result<std::string> renderHostfile(const std::string& cluster, const std::vector<HostEntry>& entries) {
    std::set<std::string> seen;
    int totalSlots = 0;
    for (const auto& entry : entries) {
        if (auto ok = checkEntry(entry, seen); !ok) return ok.error();
        totalSlots += entry.slots;
    }
    std::ostringstream out;
    int nodes = entries.empty() ? 0 : static_cast<int>(entries.size()) - 1;
    out << "# ppcs cluster " << cluster << ": head + " << nodes << " nodes, " << totalSlots << " slots (written by ppcsd)\n";
    for (const auto& entry : entries) {
        out << entry.address << " slots=" << entry.slots;
        if (!entry.name.empty()) out << "   # " << entry.name;
        if (!entry.container.empty()) out << " " << entry.container.substr(0, kShortContainerId);
        out << "\n";
    }
    return out.str();
}

Result<std::vector<HostEntry>> parseHostfile(const std::string& text) {
    std::vector<HostEntry> entries;
    std::set<std::string> seen;
    auto lines = split(text, '\n');
    for (std::size_t i = 0; i < lines.size(); ++i) {
        std::string line = lines[i];
        HostEntry entry;
        if (auto hash = line.find('#'); hash != std::string::npos) {
            std::istringstream comment(line.substr(hash + 1));
            comment >> entry.name >> entry.container;
            line = line.substr(0, hash);
        }
        std::istringstream words(line);
        std::string word;
        if (!(words >> entry.address)) continue;
        while (words >> word) {
            if (!startsWith(word, "slots="))
                return makeError(ErrorCode::usage, "hostfile line " + std::to_string(i + 1) + ": unknown '" + word + "'");
            auto slots = parseSlots(word, static_cast<int>(i + 1));
            if (!slots) return slots.error();
            entry.slots = *slots;
        }
        if (auto ok = checkEntry(entry, seen); !ok) return ok.error().context("line " + std::to_string(i + 1));
        entries.push_back(std::move(entry));
    }
    return entries;
}

}  // namespace ppcs::cluster
