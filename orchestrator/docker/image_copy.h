#pragma once
// Moving an image from one engine to another without a registry: `docker save` on one end streamed
// into `docker load` on the other, through a small bounded buffer (never the whole image in memory).

#include <string>

#include "common/result.h"
#include "docker/engine.h"

namespace ppcs::docker {

// Streams image nameOrId from `from` into `to`. The image keeps its ID (the digest of its config).
// A failure on either end stops both and names the end that failed.
Status copyImage(Engine& from, Engine& to, const std::string& nameOrId);

}  // namespace ppcs::docker
