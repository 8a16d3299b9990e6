#include "model/mpi.h"

namespace ppcs::model {

const char* mpiName(MpiKind mpi) { return mpi == MpiKind::mpich ? "mpich" : "openmpi"; }

std::optional<MpiKind> mpiFromName(std::string_view name) {
    for (MpiKind mpi : {MpiKind::openmpi, MpiKind::mpich})
        if (name == mpiName(mpi)) return mpi;
    return std::nullopt;
}

Result<MpiKind> parseMpiOption(const std::string& text) {
    if (auto mpi = mpiFromName(text)) return *mpi;
    return makeError(ErrorCode::usage, "--mpi must be openmpi or mpich, not '" + text + "'");
}

std::string mpiImageRef(MpiKind mpi) { return std::string("ppcs-") + mpiName(mpi) + ":latest"; }

}  // namespace ppcs::model
