#pragma once
// A recording fake of image::ProcessRunner: each run() takes the next queued outcome (or error)
// and keeps the argv for assertions.

#include <deque>
#include <string>
#include <vector>

#include "image/process_runner.h"

namespace ppcs::testing {

class FakeProcessRunner final : public image::ProcessRunner {
public:
    void queue(Result<image::ProcessOutcome> outcome, std::vector<std::string> printedLines = {}) {
        outcomes_.push_back({std::move(outcome), std::move(printedLines)});
    }

    Result<image::ProcessOutcome> run(const image::ProcessSpec& spec, const image::LineSink& onLine) override {
        calls.push_back(spec.argv);
        if (outcomes_.empty()) return makeError(ErrorCode::failed, "fake process runner: nothing queued for " + spec.argv[0]);
        auto next = std::move(outcomes_.front());
        outcomes_.pop_front();
        if (onLine)
            for (const auto& line : next.lines) onLine(line);
        return next.outcome;
    }

    std::vector<std::vector<std::string>> calls;

private:
    struct Queued {
        Result<image::ProcessOutcome> outcome;
        std::vector<std::string> lines;
    };
    std::deque<Queued> outcomes_;
};

}  // namespace ppcs::testing
