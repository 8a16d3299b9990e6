#pragma once
// Which MPI a cluster runs (pure). Chosen at `up --mpi`, built into its own node image, recorded
// in the cluster's labels (ppcs.mpi) so that every later command launches, compiles and stops
// jobs with that MPI's tools.

#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace ppcs::model {

enum class MpiKind {
    openmpi,  // Debian's Open MPI 4.1: mpirun, ORTE daemons over ssh (the default)
    mpich,    // Debian's MPICH 4.0 (ch4:ucx): hydra's mpiexec over ssh
};

inline constexpr MpiKind kDefaultMpi = MpiKind::openmpi;

// "openmpi" or "mpich": the one spelling on the wire, in labels, in the image's build argument
// and in output.
const char* mpiName(MpiKind mpi);
// The inverse of mpiName; nullopt for any other text.
std::optional<MpiKind> mpiFromName(std::string_view name);
// The user's --mpi: a usage error naming the choices for anything but a name mpiName gives.
Result<MpiKind> parseMpiOption(const std::string& text);
// The node image of that MPI: ppcs-openmpi:latest or ppcs-mpich:latest.
std::string mpiImageRef(MpiKind mpi);

}  // namespace ppcs::model
