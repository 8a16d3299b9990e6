#pragma once
// Streamed replies of ppcsd (api/ .cpp files only: this header includes httplib): an operation's
// events as it runs, heartbeats while it is silent, then its result or its error. The API streams
// newline-delimited JSON (operations.h); the dashboard streams the same events as server-sent
// events (text/event-stream). A stream ends, and frees its thread, once its operation returns;
// an operation learns that its client went through the probe it is given.

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "api/messages.h"
#include "common/result.h"
#include "model/progress.h"

namespace ppcs::api {

// The streamed responses under way, at most most(); each holds its slot until it is destroyed.
class StreamSlots {
public:
    StreamSlots(std::size_t most, std::chrono::milliseconds heartbeat) : most_(most), heartbeat_(heartbeat) {}
    // A held slot, or null when all are taken.
    std::shared_ptr<const void> acquire();
    std::size_t most() const { return most_; }
    std::chrono::milliseconds heartbeat() const { return heartbeat_; }

private:
    std::size_t most_;
    std::chrono::milliseconds heartbeat_;
    std::atomic<std::size_t> active_{0};
};

// How the events are written.
enum class StreamFormat {
    ndjson,            // application/x-ndjson: one StreamEvent JSON per line
    serverSentEvents,  // text/event-stream: "data: <StreamEvent JSON>" then a blank line, per event
};

using ClientProbe = std::function<bool()>;
// Runs the operation: its progress to progress, its result as JSON. clientPresent() turns false
// once the client closed its connection or a write to it failed.
using StreamedWork = std::function<Result<std::string>(const model::Progress& progress, const ClientProbe& clientPresent)>;

// Sets response to stream the operation (named in ppcsd's log by name) in format. The operation
// runs inside the first call of the content provider, which holds one of the slots until the
// response is gone; when none is free, the reply is a 503 error instead.
void streamOperation(httplib::Response& response, StreamSlots& slots, std::string name, StreamedWork operation,
                     StreamFormat format = StreamFormat::ndjson);

// The JSON error reply of ppcsd: the status of error.code, {"error": {...}}.
void replyError(httplib::Response& response, const Error& error);

}  // namespace ppcs::api
