#pragma once
// Moving an image from one engine to another without a registry: `docker save` on one end streamed
// into `docker load` on the other, through a small bounded buffer (never the whole image in memory).

#include <string>
#include <vector>

#include "common/result.h"
#include "docker/engine.h"

namespace ppcs::docker {

// Streams image nameOrId from `from` into `to`. The image keeps its ID (the digest of its config).
// A failure on either end stops both and names the end that failed.
Status copyImage(Engine& from, Engine& to, const std::string& nameOrId);

// The same into every engine of `to` at once, from one save: each piece is handed to every load,
// so the source's engine exports the image once however many hosts need it. One result per
// engine of `to`, in its order. A failed save fails them all (its error is the cause); a failed
// load fails that engine alone while the others go on. No engine of `to` may be null.
std::vector<Status> copyImageToAll(Engine& from, const std::vector<Engine*>& to, const std::string& nameOrId);

}  // namespace ppcs::docker
