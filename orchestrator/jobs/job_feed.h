#pragma once
// What one job says from the moment it is submitted to its end (its progress events, its output
// among them), kept in memory for whoever follows it: the `run` that submitted it, `logs -f`,
// `wait`. A follower that comes late is handed everything from the start, as far as the memory
// bound reaches (kFeedBytes; the job's record keeps what was stored). Thread-safe.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "common/result.h"
#include "model/job.h"
#include "model/progress.h"

namespace ppcs::jobs {

inline constexpr std::size_t kFeedBytes = 8 * 1024 * 1024;

class JobFeed {
public:
    explicit JobFeed(std::size_t keptBytes = kFeedBytes) : keptBytes_(keptBytes) {}

    void publish(model::Phase phase, const std::string& text);
    // The job has ended (an outcome, or an error that kept it from running); later calls change nothing.
    void finish(const Result<model::JobOutcome>& outcome);

    // Hands every event (from the first one still kept) to events, as they come, until the job
    // ends, and returns how it ended; nullopt as soon as keepFollowing() turns false (asked at
    // least every `poll`). A follower that missed events the bound dropped is told so once
    // (a warning event).
    std::optional<Result<model::JobOutcome>> follow(const model::Progress& events, const std::function<bool()>& keepFollowing,
                                                    std::chrono::milliseconds poll = std::chrono::milliseconds(200));

private:
    std::size_t keptBytes_;
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::deque<std::pair<model::Phase, std::string>> events_;
    std::size_t firstKept_ = 0;  // the number of the oldest event still in events_
    std::size_t bytes_ = 0;
    std::optional<Result<model::JobOutcome>> outcome_;
};

}  // namespace ppcs::jobs
