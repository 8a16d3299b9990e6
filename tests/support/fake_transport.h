#pragma once
// A recording fake of docker::Transport: replies are queued per "METHOD path" (query ignored)
// and every request is kept for assertions. Streamed replies are handed to the sink in the
// given pieces, so tests can split bodies wherever they like.

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "docker/transport.h"

namespace ppcs::testing {

struct FakeReply {
    int status = 200;
    std::map<std::string, std::string> headers;
    std::vector<std::string> pieces;  // the body, in the pieces the sink receives
};

// The engine's side of a hijacked connection, scripted by a test: what the engine sends is pushed
// piece by piece (read() blocks until a piece, the end, or close()); what was written is kept.
class FakeByteStream {
public:
    void push(std::string piece) {
        std::lock_guard<std::mutex> lock(mutex_);
        pieces_.push_back(std::move(piece));
        changed_.notify_all();
    }
    // The engine ends its output (the process ended).
    void end() {
        std::lock_guard<std::mutex> lock(mutex_);
        ended_ = true;
        changed_.notify_all();
    }
    Result<std::size_t> read(char* data, std::size_t size) {
        std::unique_lock<std::mutex> lock(mutex_);
        changed_.wait(lock, [this] { return !pieces_.empty() || ended_ || closed_; });
        if (closed_ || pieces_.empty()) return std::size_t{0};
        std::string& front = pieces_.front();
        std::size_t count = std::min(size, front.size());
        std::copy(front.begin(), front.begin() + static_cast<std::ptrdiff_t>(count), data);
        front.erase(0, count);
        if (front.empty()) pieces_.pop_front();
        return count;
    }
    Status write(std::string_view bytes) {
        std::lock_guard<std::mutex> lock(mutex_);
        if (writeClosed_ || closed_) return makeError(ErrorCode::unavailable, "fake stream: write after close");
        written_.append(bytes);
        changed_.notify_all();
        return {};
    }
    void closeWrite() {
        std::lock_guard<std::mutex> lock(mutex_);
        writeClosed_ = true;
        changed_.notify_all();
    }
    void close() {
        std::lock_guard<std::mutex> lock(mutex_);
        closed_ = true;
        changed_.notify_all();
    }
    std::string written() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return written_;
    }
    bool writeClosed() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return writeClosed_;
    }
    bool closed() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return closed_;
    }

private:
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::deque<std::string> pieces_;
    std::string written_;
    bool ended_ = false;
    bool writeClosed_ = false;
    bool closed_ = false;
};

// A docker::ByteStream handed out by FakeTransport::hijack, sharing its state with the test.
class FakeByteStreamHandle final : public docker::ByteStream {
public:
    explicit FakeByteStreamHandle(std::shared_ptr<FakeByteStream> stream) : stream_(std::move(stream)) {}
    Result<std::size_t> read(char* data, std::size_t size) override { return stream_->read(data, size); }
    Status write(std::string_view bytes) override { return stream_->write(bytes); }
    void closeWrite() override { stream_->closeWrite(); }
    void close() override { stream_->close(); }

private:
    std::shared_ptr<FakeByteStream> stream_;
};

class FakeTransport final : public docker::Transport {
public:
    // Queues a reply for requests whose method and path (without query) match.
    void expect(const std::string& method, const std::string& path, FakeReply reply) {
        replies_[method + " " + path].push_back(std::move(reply));
    }
    void expectJson(const std::string& method, const std::string& path, int status, const std::string& body) {
        expect(method, path, FakeReply{status, {}, {body}});
    }

    Result<docker::HttpResponse> send(const docker::HttpRequest& request) override {
        std::string body;
        auto reply = stream(request, [&body](std::string_view piece) {
            body.append(piece);
            return true;
        });
        if (reply && reply->status < 300) reply->body = body;
        return reply;
    }

    // Thread-safe, like hijack(): a session resizes from one thread while another reads.
    Result<docker::HttpResponse> stream(const docker::HttpRequest& request, const docker::BodySink& sink) override {
        std::lock_guard<std::mutex> lock(mutex_);
        requests.push_back(request);
        std::string key = request.method + " " + request.target.substr(0, request.target.find('?'));
        auto queued = replies_.find(key);
        if (queued == replies_.end() || queued->second.empty())
            return makeError(ErrorCode::unavailable, "fake transport: no reply queued for " + key);
        FakeReply reply = std::move(queued->second.front());
        queued->second.pop_front();
        docker::HttpResponse response;
        response.status = reply.status;
        response.headers = reply.headers;
        for (const auto& piece : reply.pieces) {
            if (reply.status >= 300)
                response.body += piece;
            else if (!sink(piece))
                break;
        }
        return response;
    }

    // The body is drained from source into the recorded request, then answered like send(). A
    // source that fails is recorded in abandonedUploads (with what it gave until then) and its
    // error returned, as the real transport does; no reply is taken from the queue.
    Result<docker::HttpResponse> upload(const docker::HttpRequest& request, const docker::BodySource& source) override {
        docker::HttpRequest recorded = request;
        recorded.body.clear();
        std::string piece;
        while (true) {
            piece.clear();
            auto more = source(piece);
            if (!more) {
                abandonedUploads.push_back(recorded);
                return more.error();
            }
            recorded.body += piece;
            largestUploadPiece = std::max(largestUploadPiece, piece.size());
            if (!*more) break;
        }
        return send(recorded);
    }

    // Queues a hijack reply for "POST path": with a 1xx/2xx status, stream is what the engine's
    // side does; with another, the reply's body is the first of reply.pieces.
    void expectHijack(const std::string& path, FakeReply reply, std::shared_ptr<FakeByteStream> stream = nullptr) {
        std::lock_guard<std::mutex> lock(mutex_);
        hijacks_["POST " + path].push_back({std::move(reply), std::move(stream)});
    }

    Result<docker::Hijacked> hijack(const docker::HttpRequest& request) override {
        std::lock_guard<std::mutex> lock(mutex_);
        hijackRequests.push_back(request);
        std::string key = request.method + " " + request.target.substr(0, request.target.find('?'));
        auto queued = hijacks_.find(key);
        if (queued == hijacks_.end() || queued->second.empty())
            return makeError(ErrorCode::unavailable, "fake transport: no hijack queued for " + key);
        auto [reply, stream] = std::move(queued->second.front());
        queued->second.pop_front();
        docker::Hijacked hijacked;
        hijacked.response.status = reply.status;
        hijacked.response.headers = reply.headers;
        if (reply.status >= 300) {
            for (const auto& piece : reply.pieces) hijacked.response.body += piece;
            return hijacked;
        }
        hijacked.stream = std::make_unique<FakeByteStreamHandle>(stream ? stream : std::make_shared<FakeByteStream>());
        return hijacked;
    }

    std::string endpoint() const override { return "unix:///fake/docker.sock"; }

    // Requests whose target starts with prefix.
    std::vector<docker::HttpRequest> requestsTo(const std::string& method, const std::string& prefix) const {
        std::vector<docker::HttpRequest> matching;
        for (const auto& request : requests)
            if (request.method == method && request.target.rfind(prefix, 0) == 0) matching.push_back(request);
        return matching;
    }

    std::vector<docker::HttpRequest> requests;
    std::vector<docker::HttpRequest> hijackRequests;
    std::vector<docker::HttpRequest> abandonedUploads;
    std::size_t largestUploadPiece = 0;  // the largest piece any upload's source gave

private:
    std::map<std::string, std::deque<FakeReply>> replies_;
    std::mutex mutex_;
    std::map<std::string, std::deque<std::pair<FakeReply, std::shared_ptr<FakeByteStream>>>> hijacks_;
};

// A Transport whose _ping answers with the given API version.
inline FakeReply pingReply(const std::string& apiVersion) { return FakeReply{200, {{"api-version", apiVersion}}, {"OK"}}; }

}  // namespace ppcs::testing
