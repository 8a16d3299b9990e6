#include "model/backend.h"

namespace ppcs::model {

const char* backendName(Backend backend) { return backend == Backend::containers ? "containers" : "swarm"; }

std::optional<Backend> backendFromName(std::string_view name) {
    for (Backend backend : {Backend::swarm, Backend::containers})
        if (name == backendName(backend)) return backend;
    return std::nullopt;
}

Result<Backend> parseBackendOption(const std::string& text) {
    if (auto backend = backendFromName(text)) return *backend;
    return makeError(ErrorCode::usage, "--backend must be swarm or containers, not '" + text + "'");
}

}  // namespace ppcs::model
