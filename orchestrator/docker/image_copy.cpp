#include "docker/image_copy.h"

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string_view>
#include <thread>

namespace ppcs::docker {
namespace {

// A hand-off between the saving thread and the loading one: at most kMaxPieces pieces wait.
class PieceQueue {
public:
    static constexpr std::size_t kMaxPieces = 64;  // x up to 64 KiB

    // Producer side: false once the consumer gave up.
    bool push(std::string_view piece) {
        std::unique_lock<std::mutex> lock(mutex_);
        changed_.wait(lock, [this] { return pieces_.size() < kMaxPieces || abandoned_; });
        if (abandoned_) return false;
        pieces_.emplace_back(piece);
        changed_.notify_all();
        return true;
    }
    void finish() {
        std::lock_guard<std::mutex> lock(mutex_);
        finished_ = true;
        changed_.notify_all();
    }
    // Consumer side: false at the end of the stream.
    bool pop(std::string& piece) {
        std::unique_lock<std::mutex> lock(mutex_);
        changed_.wait(lock, [this] { return !pieces_.empty() || finished_; });
        if (pieces_.empty()) return false;
        piece = std::move(pieces_.front());
        pieces_.pop_front();
        changed_.notify_all();
        return true;
    }
    void abandon() {
        std::lock_guard<std::mutex> lock(mutex_);
        abandoned_ = true;
        changed_.notify_all();
    }

private:
    std::mutex mutex_;
    std::condition_variable changed_;
    std::deque<std::string> pieces_;
    bool finished_ = false;
    bool abandoned_ = false;
};

// Loads into one engine from its own queue on a thread of its own; joined on destruction, after
// its queue is abandoned, however the caller ends (an exception included).
class Loader {
public:
    explicit Loader(Engine& to) : to_(to) {
        thread_ = std::thread([this] {
            // An exception must not leave this thread (it would end the process): it becomes the error.
            try {
                loaded_ = to_.loadImage([this](std::string& piece) { return queue_.pop(piece); });
            } catch (const std::exception& failure) {
                loaded_ = makeError(ErrorCode::failed, std::string("load: ") + failure.what());
            }
            queue_.abandon();
        });
    }
    ~Loader() {
        queue_.abandon();
        if (thread_.joinable()) thread_.join();
    }
    Loader(const Loader&) = delete;
    Loader& operator=(const Loader&) = delete;

    PieceQueue& queue() { return queue_; }
    // The load's outcome, once its input is finished.
    Status outcome() {
        queue_.finish();
        if (thread_.joinable()) thread_.join();
        return loaded_;
    }
    std::string endpoint() const { return to_.endpoint(); }

private:
    Engine& to_;
    PieceQueue queue_;
    Status loaded_;
    std::thread thread_;
};

}  // namespace

std::vector<Status> copyImageToAll(Engine& from, const std::vector<Engine*>& to, const std::string& nameOrId) {
    std::vector<std::unique_ptr<Loader>> loaders;
    for (auto* engine : to) loaders.push_back(std::make_unique<Loader>(*engine));
    Status saved;
    bool everyLoadEnded = false;  // the save was stopped because no load took more
    try {
        saved = from.saveImage(nameOrId, [&loaders, &everyLoadEnded](std::string_view piece) {
            bool anyLoading = false;
            for (auto& loader : loaders) anyLoading = loader->queue().push(piece) || anyLoading;
            everyLoadEnded = !anyLoading;
            return anyLoading;
        });
    } catch (const std::exception& failure) {
        saved = makeError(ErrorCode::failed, std::string("save: ") + failure.what());
    }
    std::vector<Status> results;
    for (auto& loader : loaders) {
        Status loaded = loader->outcome();
        std::string what = "copy image " + nameOrId + " from " + from.endpoint() + " to " + loader->endpoint();
        // A failed save ends the loads' input early: the save's error is the cause, unless the
        // loads had all ended first.
        if (!saved && !(everyLoadEnded && !loaded))
            results.push_back(saved.error().context(what));
        else if (!loaded)
            results.push_back(loaded.error().context(what));
        else
            results.emplace_back();
    }
    return results;
}

Status copyImage(Engine& from, Engine& to, const std::string& nameOrId) { return copyImageToAll(from, {&to}, nameOrId).front(); }

}  // namespace ppcs::docker
