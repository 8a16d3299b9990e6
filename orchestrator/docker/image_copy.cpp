#include "docker/image_copy.h"

#include <condition_variable>
#include <deque>
#include <mutex>
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

// Stops and joins the saving thread however the loading side ends, an exception included.
class SaverGuard {
public:
    SaverGuard(PieceQueue& queue, std::thread& saver) : queue_(queue), saver_(saver) {}
    ~SaverGuard() {
        queue_.abandon();
        if (saver_.joinable()) saver_.join();
    }

private:
    PieceQueue& queue_;
    std::thread& saver_;
};

}  // namespace

Status copyImage(Engine& from, Engine& to, const std::string& nameOrId) {
    PieceQueue queue;
    Status saved;
    std::thread saver([&] {
        // An exception must not leave this thread (it would end the process): it becomes the error.
        try {
            saved = from.saveImage(nameOrId, [&queue](std::string_view piece) { return queue.push(piece); });
        } catch (const std::exception& failure) {
            saved = makeError(ErrorCode::failed, std::string("save: ") + failure.what());
        }
        queue.finish();
    });
    Status loaded;
    {
        SaverGuard guard(queue, saver);
        loaded = to.loadImage([&queue](std::string& piece) { return queue.pop(piece); });
    }
    std::string what = "copy image " + nameOrId + " from " + from.endpoint() + " to " + to.endpoint();
    // A failed save ends the load's input early: the save's error is the cause.
    if (!saved) return saved.error().context(what);
    if (!loaded) return loaded.error().context(what);
    return {};
}

}  // namespace ppcs::docker
