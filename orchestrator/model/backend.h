#pragma once
// How a cluster's members are made (pure). Chosen at `up --backend`, recorded on every object of
// the cluster (the ppcs.backend label) so that every later command finds and treats it the same.

#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace ppcs::model {

enum class Backend {
    // Swarm services on an overlay network, a Swarm secret for the key; members may span hosts
    // and Swarm replaces a dead one (the default on an engine with Swarm).
    swarm,
    // Plain containers on a user-defined bridge network of one engine, the key put into each as a
    // 0400 file; ppcsd replaces a dead one. Needs no Swarm (Podman, or a laptop left as it is).
    containers,
};

inline constexpr Backend kDefaultBackend = Backend::swarm;

// "swarm" or "containers": the one spelling on the wire, in labels and in output.
const char* backendName(Backend backend);
// The inverse of backendName; nullopt for any other text.
std::optional<Backend> backendFromName(std::string_view name);
// The user's --backend: a usage error naming the choices for anything else.
Result<Backend> parseBackendOption(const std::string& text);

}  // namespace ppcs::model
