#include "api/event_stream.h"

#include <condition_variable>
#include <mutex>
#include <thread>

#include "api/http_server.h"
#include "common/guarded.h"
#include "common/log.h"

namespace ppcs::api {
namespace {

using Clock = std::chrono::steady_clock;

std::string encodeEvent(const StreamEvent& event, StreamFormat format) {
    if (format == StreamFormat::serverSentEvents) return "data: " + encodeStreamEvent(event) + "\n\n";
    return encodeStreamEvent(event) + "\n";
}

// The events of one streamed response. Writes are serialised: progress comes from the operation
// (from any of its threads) while a heartbeat thread writes when the stream has been silent for
// a while, so that a client can tell a slow operation from a daemon that stopped answering.
class EventStream {
public:
    EventStream(httplib::DataSink& sink, std::chrono::milliseconds heartbeat, StreamFormat format)
        : sink_(sink),
          connection_(currentConnection()),
          heartbeatInterval_(heartbeat),
          format_(format),
          lastWrite_(Clock::now()) {
        heartbeat_ = std::thread([this] { runGuarded("stream heartbeat", [this] { beat(); }); });
    }
    ~EventStream() { stopHeartbeat(); }
    EventStream(const EventStream&) = delete;
    EventStream& operator=(const EventStream&) = delete;

    void send(const StreamEvent& event) {
        std::string line = encodeEvent(event, format_);
        std::lock_guard<std::mutex> lock(mutex_);
        writeLocked(line);
    }
    // Sends the last event, stops the heartbeat and ends the stream.
    void finish(const StreamEvent& last) {
        send(last);
        stopHeartbeat();
        std::lock_guard<std::mutex> lock(mutex_);
        sink_.done();
    }
    bool clientPresent() const { return !writeFailed_ && !(connection_ && connection_->peerGone()); }

private:
    void writeLocked(const std::string& line) {
        if (!writeFailed_ && !sink_.write(line.data(), line.size())) writeFailed_ = true;
        lastWrite_ = Clock::now();
    }
    void beat() {
        const std::string heartbeat = encodeEvent(StreamEvent{StreamEvent::Kind::heartbeat}, format_);
        std::unique_lock<std::mutex> lock(mutex_);
        while (!stopping_) {
            auto due = lastWrite_ + heartbeatInterval_;
            if (Clock::now() >= due)
                writeLocked(heartbeat);
            else
                wake_.wait_until(lock, due);
        }
    }
    void stopHeartbeat() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            stopping_ = true;
        }
        wake_.notify_all();
        if (heartbeat_.joinable()) heartbeat_.join();
    }

    httplib::DataSink& sink_;
    std::shared_ptr<Connection> connection_;
    std::chrono::milliseconds heartbeatInterval_;
    StreamFormat format_;
    std::mutex mutex_;
    std::condition_variable wake_;
    Clock::time_point lastWrite_;
    bool stopping_ = false;
    std::atomic<bool> writeFailed_{false};
    std::thread heartbeat_;
};

// Runs the operation; whatever it throws becomes its error, so that nothing escapes the content
// provider (it runs outside httplib's exception handler: an exception there ends ppcsd).
Result<std::string> runCaught(const StreamedWork& operation, EventStream& events) {
    std::string what;
    try {
        return operation(
            [&events](model::Phase phase, const std::string& text) {
                events.send(StreamEvent{StreamEvent::Kind::progress, phase, text});
            },
            [&events] { return events.clientPresent(); });
    } catch (const std::exception& e) {
        what = e.what();
    } catch (...) {
        what = "unknown exception";
    }
    return makeError(ErrorCode::failed, "unexpected failure in ppcsd: " + what);  // logged with the stream's end
}

void runStreamed(const std::string& name, const StreamedWork& operation, httplib::DataSink& sink,
                 std::chrono::milliseconds heartbeat, StreamFormat format) {
    EventStream events(sink, heartbeat, format);
    auto result = runCaught(operation, events);
    StreamEvent last;
    if (result) {
        last.kind = StreamEvent::Kind::result;
        last.resultJson = *result;
        log::info(name + ": done");
    } else {
        last.kind = StreamEvent::Kind::error;
        last.error = result.error();
        log::warn(name + ": " + result.error().message);
    }
    events.finish(last);
}

// Streams a long operation as newline-delimited events: its progress lines as they happen,
// heartbeats while it is silent, then its JSON result or its error. The operation runs inside
// the first call of the content provider, which holds one of the stream slots until the
// response is gone; when none is free the answer is 503.
}  // namespace

std::shared_ptr<const void> StreamSlots::acquire() {
    if (active_.fetch_add(1) >= most_) {
        active_.fetch_sub(1);
        return nullptr;
    }
    return std::shared_ptr<const void>(this,
                                       [](const StreamSlots* slots) { const_cast<StreamSlots*>(slots)->active_.fetch_sub(1); });
}

void replyError(httplib::Response& response, const Error& error) {
    response.status = httpStatusFor(error.code);
    response.set_content(encodeError(error), "application/json");
}

void streamOperation(httplib::Response& response, StreamSlots& slots, std::string name, StreamedWork operation,
                     StreamFormat format) {
    auto slot = slots.acquire();
    if (!slot)
        return replyError(response, makeError(ErrorCode::unavailable, "ppcsd already streams " + std::to_string(slots.most()) +
                                                                          " operations: try again when one of them ends"));
    auto heartbeat = slots.heartbeat();
    // The provider holds the slot: it is destroyed with the response, whether or not it ran.
    const char* type = format == StreamFormat::serverSentEvents ? "text/event-stream" : "application/x-ndjson";
    response.set_chunked_content_provider(type, [name, operation, slot, heartbeat, format](size_t, httplib::DataSink& sink) {
        try {
            runStreamed(name, operation, sink, heartbeat, format);
            return true;
        } catch (const std::exception& e) {
            log::error(name + ": the stream broke: " + e.what());
        } catch (...) {
            log::error(name + ": the stream broke");
        }
        return false;
    });
}

}  // namespace ppcs::api
