#include "cluster/subnet.h"

#include <arpa/inet.h>

#include <cstdint>

#include "common/strings.h"

namespace ppcs::cluster {
namespace {

// Network address, broadcast, gateway, and one load-balancer endpoint per swarm host.
constexpr int kReservedAddresses = 8;
constexpr std::uint32_t kRangeBase = 0x0A800000;  // 10.128.0.0
constexpr int kRangePrefix = 9;

struct Cidr {
    std::uint32_t base = 0;
    int prefix = 32;
    std::uint64_t size() const { return std::uint64_t(1) << (32 - prefix); }
};

Result<Cidr> parseCidr(const std::string& text) {
    auto slash = text.find('/');
    std::string address = text.substr(0, slash);
    in_addr parsed{};
    if (::inet_pton(AF_INET, address.c_str(), &parsed) != 1)
        return makeError(ErrorCode::usage, "'" + text + "' is not an IPv4 CIDR");
    Cidr cidr;
    cidr.prefix = 32;
    if (slash != std::string::npos) {
        std::string bits = text.substr(slash + 1);
        if (bits.empty() || bits.size() > 2 || bits.find_first_not_of("0123456789") != std::string::npos)
            return makeError(ErrorCode::usage, "'" + text + "' is not an IPv4 CIDR");
        cidr.prefix = std::stoi(bits);
        if (cidr.prefix > 32) return makeError(ErrorCode::usage, "'" + text + "' is not an IPv4 CIDR");
    }
    std::uint32_t host = ntohl(parsed.s_addr);
    std::uint32_t mask = cidr.prefix == 0 ? 0 : ~std::uint32_t(0) << (32 - cidr.prefix);
    cidr.base = host & mask;
    return cidr;
}

// IPv6 subnets live in another address space: they can never overlap an IPv4 choice.
bool isIpv6Cidr(const std::string& text) {
    in6_addr parsed{};
    return ::inet_pton(AF_INET6, text.substr(0, text.find('/')).c_str(), &parsed) == 1;
}

bool overlaps(const Cidr& a, const Cidr& b) {
    std::uint64_t aEnd = std::uint64_t(a.base) + a.size();
    std::uint64_t bEnd = std::uint64_t(b.base) + b.size();
    return a.base < bEnd && b.base < aEnd;
}

std::string format(const Cidr& cidr) {
    in_addr out{htonl(cidr.base)};
    char text[INET_ADDRSTRLEN];
    ::inet_ntop(AF_INET, &out, text, sizeof text);
    return std::string(text) + "/" + std::to_string(cidr.prefix);
}

}  // namespace

int prefixFor(int addresses) {
    int prefix = 24;
    while (prefix > kRangePrefix && (std::int64_t(1) << (32 - prefix)) < std::int64_t(addresses) + kReservedAddresses) --prefix;
    return prefix;
}

Result<std::string> chooseSubnet(const std::vector<std::string>& used, int nodes) {
    std::vector<Cidr> taken;
    for (const auto& text : used) {
        if (isIpv6Cidr(text)) continue;
        auto cidr = parseCidr(text);
        if (!cidr) return cidr.error();
        taken.push_back(*cidr);
    }
    Cidr candidate;
    candidate.prefix = prefixFor(2 * (nodes + 1));
    Cidr range{kRangeBase, kRangePrefix};
    for (std::uint64_t base = range.base; base + candidate.size() <= range.base + range.size(); base += candidate.size()) {
        candidate.base = static_cast<std::uint32_t>(base);
        bool free = true;
        for (const auto& other : taken) free = free && !overlaps(candidate, other);
        if (free) return format(candidate);
    }
    return makeError(ErrorCode::unavailable,
                     "no free subnet of size /" + std::to_string(candidate.prefix) + " left in " + format(range));
}

int nodeCapacity(const std::string& cidr) {
    auto parsed = parseCidr(cidr);
    if (!parsed) return 0;
    std::int64_t usable = std::int64_t(parsed->size()) - kReservedAddresses - 1;  // the head
    return usable < 0 ? 0 : static_cast<int>(usable);
}

bool addressInSubnet(const std::string& address, const std::string& cidr) {
    auto host = parseCidr(address.substr(0, address.find('/')));
    auto net = parseCidr(cidr);
    if (!host || !net) return false;
    return overlaps(Cidr{host->base, 32}, *net);
}

}  // namespace ppcs::cluster
