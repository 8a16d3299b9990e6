#pragma once
// Finds the running ppcsd for a state directory, or starts one in the background (Boost.Process,
// its own session, output appended to ppcsd.log) and waits a bounded time for it to answer.

#include <string>

#include "api/client.h"
#include "common/result.h"

namespace ppcs::cli {

// The endpoint of a ppcsd that answers, or ErrorCode::unavailable when none does.
Result<api::Endpoint> findRunningDaemon(const std::string& stateDir);

// Waits (about 10 s at most) until no ppcsd answers for the state directory.
bool waitUntilStopped(const std::string& stateDir);

// findRunningDaemon(), starting ppcsd first when none answers. The daemon binary is $PPCS_DAEMON,
// else "ppcsd" beside this executable. First, the engine DOCKER_HOST names must be secure
// (model::endpointFromEnvironment): a usage error otherwise; plain TCP that PPCS_INSECURE_TCP
// allows prints a warning line on stderr.
Result<api::Endpoint> ensureDaemon(const std::string& stateDir);

}  // namespace ppcs::cli
