#include "jobs/job_feed.h"

#include <vector>

namespace ppcs::jobs {

void JobFeed::publish(model::Phase phase, const std::string& text) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (outcome_) return;
        events_.emplace_back(phase, text);
        bytes_ += text.size();
        while (bytes_ > keptBytes_ && events_.size() > 1) {
            bytes_ -= events_.front().second.size();
            events_.pop_front();
            ++firstKept_;
        }
    }
    changed_.notify_all();
}

void JobFeed::finish(const Result<model::JobOutcome>& outcome) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (outcome_) return;
        outcome_ = outcome;
    }
    changed_.notify_all();
}

std::optional<Result<model::JobOutcome>> JobFeed::follow(const model::Progress& events,
                                                         const std::function<bool()>& keepFollowing,
                                                         std::chrono::milliseconds poll) {
    std::size_t next = 0;
    bool toldOfGap = false;
    while (true) {
        std::vector<std::pair<model::Phase, std::string>> batch;
        std::optional<Result<model::JobOutcome>> ended;
        bool gap = false;
        {
            std::unique_lock<std::mutex> lock(mutex_);
            changed_.wait_for(lock, poll, [&] { return outcome_ || next < firstKept_ + events_.size(); });
            if (next < firstKept_) {
                gap = true;
                next = firstKept_;
            }
            for (std::size_t at = next - firstKept_; at < events_.size(); ++at) batch.push_back(events_[at]);
            next += batch.size();
            if (outcome_) ended = outcome_;
        }
        if (gap && !toldOfGap) {
            toldOfGap = true;
            events(model::Phase::warning, "earlier output of this job is no longer held in memory: see `ppcs-cluster logs`");
        }
        for (const auto& [phase, text] : batch) events(phase, text);
        if (ended) return ended;
        if (keepFollowing && !keepFollowing()) return std::nullopt;
    }
}

}  // namespace ppcs::jobs
