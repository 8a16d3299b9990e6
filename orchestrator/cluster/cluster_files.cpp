#include "cluster/cluster_files.h"

#include <sstream>

#include "cluster/spec.h"
#include "common/strings.h"

namespace ppcs::cluster {

std::string renderMcaParams(const std::string& cluster, const MpiSettings& settings) {
    std::ostringstream out;
    out << "# Open MPI settings of ppcs cluster " << cluster << " (written by ppcsd)\n"
        << "# Containers have two interfaces (overlay and docker_gwbridge): keep MPI and ORTE on the overlay.\n"
        << "btl_tcp_if_include = " << settings.subnet << "\n"
        << "oob_tcp_if_include = " << settings.subnet << "\n"
        << "# mpirun without --hostfile uses the cluster's.\n"
        << "orte_default_hostfile = " << kHostfilePath << "\n"
        << "# Daemons are started from the head only, over its reused ssh connections.\n"
        << "plm_rsh_no_tree_spawn = 1\n"
        << "# 1 when ranks on one host outnumber its cores: busy polling would cost milliseconds per message.\n"
        << "mpi_yield_when_idle = " << (settings.yieldWhenIdle ? 1 : 0) << "\n";
    return out.str();
}

std::string renderKnownHosts(const std::vector<KnownHost>& hosts) {
    std::ostringstream out;
    for (const auto& host : hosts) {
        auto words = split(std::string(trim(host.publicKey)), ' ');
        if (words.size() < 2) continue;
        out << host.address;
        if (!host.hostname.empty()) out << "," << host.hostname;
        out << " " << words[0] << " " << words[1] << "\n";
    }
    return out.str();
}

}  // namespace ppcs::cluster
