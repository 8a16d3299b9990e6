#include "model/backend.h"

#include "common/enum_names.h"

namespace ppcs::model {
namespace {

constexpr NameTable<Backend, 2> kBackendNames{{{Backend::swarm, "swarm"}, {Backend::containers, "containers"}}};

}  // namespace

const char* backendName(Backend backend) { return nameIn(kBackendNames, backend, "swarm").data(); }

std::optional<Backend> backendFromName(std::string_view name) { return valueIn(kBackendNames, name); }

Result<Backend> parseBackendOption(const std::string& text) {
    if (auto backend = backendFromName(text)) return *backend;
    return makeError(ErrorCode::usage, "--backend must be swarm or containers, not '" + text + "'");
}

}  // namespace ppcs::model
