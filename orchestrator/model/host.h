#pragma once
// A Docker host of the swarm as `hosts` shows it, and the rule for the names users give hosts.

#include <cstdint>
#include <string>

#include "common/result.h"

namespace ppcs::model {

// What `hosts` shows of one swarm node.
struct Host {
    std::string nodeId;
    std::string name;           // the registered name, else the node's hostname
    std::string hostname;       // Description.Hostname
    std::string role;           // "manager" or "worker"
    std::string state;          // "ready", "down", ...
    std::string availability;   // "active", "pause", "drain"
    std::string address;        // the node's swarm address
    std::string endpoint;       // registered engine endpoint; empty when none
    std::string tlsDir;         // a tcp endpoint's TLS files (--tls-dir); empty when none
    bool insecure = false;      // a tcp endpoint reached over plain TCP (--insecure)
    std::string sshKey;         // an ssh endpoint's key (--ssh-key); empty: ssh's own choice
    std::string sshKnownHosts;  // an ssh endpoint's known_hosts file (--ssh-known-hosts); empty: ssh's
    bool local = false;         // the engine ppcsd talks to
    int cpus = 0;
    std::int64_t memoryBytes = 0;
    std::string image;  // "present", "missing", "unknown" (no endpoint) or "unreachable: why"
};

// Host names as users give them: letters, digits, '.', '_' and '-', 1-63 characters.
Status validateHostName(const std::string& name);

}  // namespace ppcs::model
