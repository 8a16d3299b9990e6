#pragma once
// A recording fake of docker::Transport: replies are queued per "METHOD path" (query ignored)
// and every request is kept for assertions. Streamed replies are handed to the sink in the
// given pieces, so tests can split bodies wherever they like.

#include <algorithm>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "docker/transport.h"

namespace ppcs::testing {

struct FakeReply {
    int status = 200;
    std::map<std::string, std::string> headers;
    std::vector<std::string> pieces;  // the body, in the pieces the sink receives
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

    Result<docker::HttpResponse> stream(const docker::HttpRequest& request, const docker::BodySink& sink) override {
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
            if (reply.status >= 300) response.body += piece;
            else if (!sink(piece)) break;
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

    std::string endpoint() const override { return "unix:///fake/docker.sock"; }

    // Requests whose target starts with prefix.
    std::vector<docker::HttpRequest> requestsTo(const std::string& method, const std::string& prefix) const {
        std::vector<docker::HttpRequest> matching;
        for (const auto& request : requests)
            if (request.method == method && request.target.rfind(prefix, 0) == 0) matching.push_back(request);
        return matching;
    }

    std::vector<docker::HttpRequest> requests;
    std::vector<docker::HttpRequest> abandonedUploads;
    std::size_t largestUploadPiece = 0;  // the largest piece any upload's source gave

private:
    std::map<std::string, std::deque<FakeReply>> replies_;
};

// A Transport whose _ping answers with the given API version.
inline FakeReply pingReply(const std::string& apiVersion) { return FakeReply{200, {{"api-version", apiVersion}}, {"OK"}}; }

}  // namespace ppcs::testing
