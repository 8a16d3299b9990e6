#pragma once
// The engine connection ppcsd uses everywhere, counting its failed calls into ppcsd's metrics.

#include "common/result.h"
#include "docker/engine.h"
#include "metrics/registry.h"

namespace ppcs::daemon {

// EngineClient::connectFromEnvironment(), with every call counted as an engine error
// (metrics::kEngineErrors) when it gets no answer (kind unreachable; an idle timeout of a
// streamed call, such as the event watch's, and a stream its reader ended are no failures) or a
// 5xx answer (kind server_error).
Result<docker::EngineClient> connectCountedEngine(metrics::Registry& metrics);

}  // namespace ppcs::daemon
