#pragma once
// The files ppcsd writes into a cluster's shared folder (pure rendering):
//   .ppcs/mca-params.conf  Open MPI settings for this cluster (each container's
//                          ~mpiuser/.openmpi/mca-params.conf links to it)
//   .ppcs/known_hosts      every member's host key, by address and hostname (ssh's global
//                          known-hosts file in the image points here)
//   hostfile               see hostfile.h

#include <string>
#include <vector>

namespace ppcs::cluster {

struct MpiSettings {
    std::string subnet;          // the overlay CIDR: TCP traffic and ORTE's out-of-band channel stay on it
    bool yieldWhenIdle = false;  // ranks on one host outnumber its cores: stop busy polling
};

std::string renderMcaParams(const std::string& cluster, const MpiSettings& settings);

struct KnownHost {
    std::string address;
    std::string hostname;
    std::string publicKey;  // "ssh-ed25519 AAAA..." (a trailing comment is dropped)
};

std::string renderKnownHosts(const std::vector<KnownHost>& hosts);

}  // namespace ppcs::cluster
