// The job queue with a fake launcher over a real jobs.db: FIFO per cluster, jobs side by side on
// disjoint members when they fit (else one at a time) and clusters side by side, a busy cluster
// waits, cancel of a queued and of a started job,
// a lost node's job queued again at the head with every attempt recorded, queued jobs and
// retried ones surviving a restart, and followers (late ones too) of the in-memory feed.

#include "jobs/job_queue.h"

#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <set>
#include <thread>

#include "common/strings.h"
#include "support/scratch_dir.h"

using namespace ppcs;
using namespace ppcs::jobs;
using namespace std::chrono_literals;
using ppcs::testing::ScratchDir;

namespace {

// The request travels as "cluster program np array" in the store ('-' for no array), then its
// environment, a line each.
RequestCodec plainCodec() {
    return {[](const JobRequest& request) {
                std::string text = request.cluster + " " + request.program + " " + std::to_string(request.np) + " " +
                                   (request.array.empty() ? "-" : request.array);
                for (const auto& entry : request.env) text += "\n" + entry;
                return text;
            },
            [](std::string_view text) -> Result<JobRequest> {
                JobRequest request;
                auto lines = split(std::string(text), '\n');
                auto words = split(lines.front(), ' ');
                if (words.size() != 4) return makeError(ErrorCode::failed, "not a request of this codec");
                request.cluster = words[0];
                request.program = words[1];
                request.np = std::stoi(words[2]);
                request.array = words[3] == "-" ? "" : words[3];
                request.env.assign(lines.begin() + 1, lines.end());
                return request;
            }};
}

JobRequest job(const std::string& cluster, const std::string& program, int retries = 0, int np = 0) {
    JobRequest request;
    request.cluster = cluster;
    request.program = program;
    request.retries = retries;
    request.np = np;
    return request;
}

// Every cluster of the fake has 4 members of one slot each.
const std::vector<std::string> kFakeMembers{"m0", "m1", "m2", "m3"};

// A launcher that places each job beside the others (the first free members of kFakeMembers, one
// slot each; all of them without -n) or says it does not fit, records what started, runs each job
// until released (or stopped), and records its end as the runner does.
class FakeLauncher {
public:
    explicit FakeLauncher(JobStore& store) : store_(store) {}

    JobLauncher launcher() {
        return [this](const JobRequest& request, std::int64_t id, int attempt, const ClusterShare& share, JobControl& control,
                      const model::Progress& events) -> Result<model::JobOutcome> {
            {
                std::lock_guard<std::mutex> lock(mutex_);
                attemptsSeen_.push_back(attempt);
            }
            auto members = place(request, share.taken);
            if (!members) return makeError(ErrorCode::conflict, request.program + " does not fit beside the running jobs");
            {
                // Before the claim, which lets the queue place the next job: started() is in
                // placing order, whichever job's thread gets on first.
                std::lock_guard<std::mutex> lock(mutex_);
                started_.push_back(request.program);
            }
            share.claim(*members);
            auto outcome = launch(request, id, *members, control, events);
            std::lock_guard<std::mutex> lock(mutex_);
            for (const auto& member : *members) held_.erase(request.cluster + "/" + member);
            return outcome;
        };
    }
    // True once two jobs held one member at the same time.
    bool overlapped() {
        std::lock_guard<std::mutex> lock(mutex_);
        return overlapped_;
    }
    void release(const std::string& program) {
        std::lock_guard<std::mutex> lock(mutex_);
        released_.insert(program);
    }
    // Each job's first attempt is stopped as by a lost node.
    bool loseNodeOnFirstAttempt = false;
    std::vector<std::string> started() {
        std::lock_guard<std::mutex> lock(mutex_);
        return started_;
    }
    // Each started job's environment, its entries joined with ','.
    std::vector<std::string> environments() {
        std::lock_guard<std::mutex> lock(mutex_);
        return environments_;
    }
    std::vector<int> attemptsSeen() {
        std::lock_guard<std::mutex> lock(mutex_);
        return attemptsSeen_;
    }
    int runningAtOnceMost() {
        std::lock_guard<std::mutex> lock(mutex_);
        return most_;
    }

private:
    std::optional<std::set<std::string>> place(const JobRequest& request, const std::set<std::string>& taken) {
        std::set<std::string> members;
        for (const auto& member : kFakeMembers)
            if (!taken.count(member) && (request.np == 0 || static_cast<int>(members.size()) < request.np))
                members.insert(member);
        bool fits = request.np == 0 ? taken.empty() : static_cast<int>(members.size()) == request.np;
        if (!fits) return std::nullopt;
        return members;
    }

    Result<model::JobOutcome> launch(const JobRequest& request, std::int64_t id, const std::set<std::string>& members,
                                     JobControl& control, const model::Progress& events) {
        auto marked = store_.markStarted(id, 1);
        if (!marked || !*marked) return makeError(ErrorCode::failed, "not started");
        bool firstAttempt = false;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            for (const auto& member : members) overlapped_ = !held_.insert(request.cluster + "/" + member).second || overlapped_;
            firstAttempt = attempts_[id]++ == 0;
            environments_.push_back(join(request.env, ","));
            most_ = std::max(most_, ++running_);
        }
        events(model::Phase::standardOutput, request.program + " says hello\n");
        (void)store_.appendOutput(id, false, request.program + " says hello\n");
        if (firstAttempt && loseNodeOnFirstAttempt) control.requestStop(StopCause::nodeLost, "node n-1 (10.0.0.3)");
        for (int wait = 0; wait < 1000 && !control.stopRequested(); ++wait) {
            {
                std::lock_guard<std::mutex> lock(mutex_);
                if (released_.count(request.program)) break;
            }
            std::this_thread::sleep_for(5ms);
        }
        {
            std::lock_guard<std::mutex> lock(mutex_);
            --running_;
        }
        model::JobOutcome outcome;
        outcome.id = id;
        if (control.stopRequested()) {
            bool lost = control.cause() == StopCause::nodeLost;
            outcome.state = lost ? model::JobState::failed : model::JobState::cancelled;
            outcome.exitCode = lost ? 1 : 130;
            outcome.message = lost ? "lost " + control.detail() : "was cancelled";
        }
        (void)store_.finish(id, outcome.state, outcome.exitCode, 0.1, outcome.message);
        return outcome;
    }

    JobStore& store_;
    std::mutex mutex_;
    std::set<std::string> released_;
    std::vector<std::string> started_;
    std::map<std::int64_t, int> attempts_;
    std::vector<int> attemptsSeen_;
    std::vector<std::string> environments_;
    std::set<std::string> held_;  // "cluster/member" of every running job
    bool overlapped_ = false;
    int running_ = 0;
    int most_ = 0;
};

model::JobState stateOf(JobStore& store, std::int64_t id) { return store.get(id)->state; }

// Waits, bounded, until the job has the state.
bool reaches(JobStore& store, std::int64_t id, model::JobState state) {
    for (int wait = 0; wait < 400; ++wait) {
        if (stateOf(store, id) == state) return true;
        std::this_thread::sleep_for(10ms);
    }
    return false;
}

std::unique_ptr<JobStore> openStore(const ScratchDir& dir) {
    auto store = JobStore::open(dir.path + "/jobs.db");
    REQUIRE(store);
    return std::move(*store);
}

// A started queue over a fresh jobs.db with the fake launcher, dispatching every 10 ms; its
// clusters are free while `free` is true.
struct QueueFixture {
    QueueFixture()
        : store(openStore(dir)),
          launcher(*store),
          queue(
              *store, plainCodec(), launcher.launcher(), [this](const std::string&) { return free.load(); }, 10ms) {
        queue.start();
    }

    ScratchDir dir;
    std::unique_ptr<JobStore> store;
    FakeLauncher launcher;
    std::atomic<bool> free{true};
    JobQueue queue;
};

}  // namespace

TEST_CASE_METHOD(QueueFixture,
                 "a cluster's jobs start one at a time in the order they came, and clusters do not wait for each other",
                 "[jobs][queue]") {
    auto first = queue.submit(job("a", "first"));
    auto second = queue.submit(job("a", "second"));
    auto third = queue.submit(job("a", "third"));
    auto other = queue.submit(job("b", "other"));
    REQUIRE((first && second && third && other));
    REQUIRE(reaches(*store, *first, model::JobState::running));
    REQUIRE(reaches(*store, *other, model::JobState::running));
    auto listed = queue.list("a", 10);
    REQUIRE(listed);
    REQUIRE(listed->size() == 3);
    CHECK((*listed)[0].id == *first);
    CHECK((*listed)[0].position == 0);
    CHECK((*listed)[1].id == *second);
    CHECK((*listed)[1].position == 1);
    CHECK((*listed)[2].position == 2);
    CHECK(stateOf(*store, *second) == model::JobState::queued);

    for (const char* program : {"first", "second", "third", "other"}) launcher.release(program);
    REQUIRE(reaches(*store, *third, model::JobState::finished));
    queue.stop();
    auto started = launcher.started();
    started.erase(std::remove(started.begin(), started.end(), "other"), started.end());
    CHECK(started == std::vector<std::string>{"first", "second", "third"});
    CHECK(launcher.runningAtOnceMost() == 2);  // one per cluster
    CHECK(store->get(*third)->waitedSeconds > 0);
}

TEST_CASE_METHOD(QueueFixture,
                 "jobs that fit run side by side on disjoint members, and one that does not fit waits with nothing jumping it",
                 "[jobs][queue]") {
    auto first = queue.submit(job("a", "first", 0, 2));
    auto second = queue.submit(job("a", "second", 0, 2));
    auto big = queue.submit(job("a", "big", 0, 3));
    auto small = queue.submit(job("a", "small", 0, 1));
    REQUIRE((first && second && big && small));
    REQUIRE(reaches(*store, *first, model::JobState::running));
    REQUIRE(reaches(*store, *second, model::JobState::running));
    // big needs 3 of the 4 members; small would fit, but comes after it.
    std::this_thread::sleep_for(100ms);
    CHECK(stateOf(*store, *big) == model::JobState::queued);
    CHECK(stateOf(*store, *small) == model::JobState::queued);
    launcher.release("first");
    REQUIRE(reaches(*store, *first, model::JobState::finished));
    std::this_thread::sleep_for(100ms);
    CHECK(stateOf(*store, *big) == model::JobState::queued);  // 2 free members: still too few
    launcher.release("second");
    REQUIRE(reaches(*store, *big, model::JobState::running));
    REQUIRE(reaches(*store, *small, model::JobState::running));  // beside big, on the member left
    launcher.release("big");
    launcher.release("small");
    REQUIRE(reaches(*store, *small, model::JobState::finished));
    queue.stop();
    CHECK(launcher.started() == std::vector<std::string>{"first", "second", "big", "small"});
    CHECK(launcher.runningAtOnceMost() == 2);
    CHECK_FALSE(launcher.overlapped());
}

TEST_CASE_METHOD(QueueFixture, "a job without -n has its cluster to itself: it waits for the others, and the next waits for it",
                 "[jobs][queue]") {
    auto small = queue.submit(job("a", "small", 0, 1));
    REQUIRE(small);
    REQUIRE(reaches(*store, *small, model::JobState::running));
    auto whole = queue.submit(job("a", "whole"));
    auto after = queue.submit(job("a", "after", 0, 1));
    REQUIRE((whole && after));
    std::this_thread::sleep_for(100ms);
    CHECK(stateOf(*store, *whole) == model::JobState::queued);
    launcher.release("small");
    REQUIRE(reaches(*store, *whole, model::JobState::running));
    std::this_thread::sleep_for(100ms);
    CHECK(stateOf(*store, *after) == model::JobState::queued);
    launcher.release("whole");
    launcher.release("after");
    REQUIRE(reaches(*store, *after, model::JobState::finished));
    queue.stop();
    CHECK(launcher.runningAtOnceMost() == 1);
    CHECK_FALSE(launcher.overlapped());
}

TEST_CASE_METHOD(QueueFixture, "an array with %2 runs two of its jobs at once, side by side", "[jobs][queue]") {
    JobRequest request = job("a", "element", 0, 1);
    request.array = "1-6%2";
    auto arrayId = queue.submit(request);
    REQUIRE(arrayId);
    REQUIRE(reaches(*store, *arrayId, model::JobState::running));
    REQUIRE(reaches(*store, *arrayId + 1, model::JobState::running));
    std::this_thread::sleep_for(100ms);
    CHECK(stateOf(*store, *arrayId + 2) == model::JobState::queued);  // two members are free, but %2
    launcher.release("element");
    REQUIRE(reaches(*store, *arrayId + 5, model::JobState::finished));
    queue.stop();
    CHECK(launcher.started().size() == 6);
    CHECK(launcher.runningAtOnceMost() == 2);
    CHECK_FALSE(launcher.overlapped());
}

TEST_CASE_METHOD(QueueFixture, "a job waits while its cluster is busy with something else, and starts once it is free",
                 "[jobs][queue]") {
    free = false;
    auto id = queue.submit(job("a", "patient"));
    REQUIRE(id);
    std::this_thread::sleep_for(100ms);
    CHECK(stateOf(*store, *id) == model::JobState::queued);
    free = true;
    launcher.release("patient");
    CHECK(reaches(*store, *id, model::JobState::finished));
}

TEST_CASE_METHOD(QueueFixture, "when ppcsd stops, a queued job stays queued and whoever follows it is let go", "[jobs][queue]") {
    free = false;
    auto id = queue.submit(job("a", "later"));
    REQUIRE(id);
    Result<model::JobOutcome> followed = makeError(ErrorCode::failed, "not followed");
    std::thread follower([&] {
        followed = queue.follow(
            *id, [](model::Phase, const std::string&) {}, [] { return true; });
    });
    std::this_thread::sleep_for(50ms);
    queue.close();
    follower.join();
    REQUIRE_FALSE(followed);
    CHECK(followed.error().code == ErrorCode::unavailable);
    CHECK(followed.error().message ==
          "ppcsd is shutting down: job " + std::to_string(*id) + " stays queued and starts when ppcsd is back");
    CHECK(stateOf(*store, *id) == model::JobState::queued);
    // A follower that comes now is let go at once.
    CHECK_FALSE(queue.follow(
        *id, [](model::Phase, const std::string&) {}, [] { return true; }));
}

TEST_CASE_METHOD(QueueFixture,
                 "a hold on a cluster (a scale) waits for its running job, and no queued job starts until it is let go",
                 "[jobs][queue]") {
    auto running = queue.submit(job("a", "running"));
    auto next = queue.submit(job("a", "next"));
    REQUIRE((running && next));
    REQUIRE(reaches(*store, *running, model::JobState::running));
    auto hold = queue.holdCluster("a");
    std::vector<std::int64_t> waitedFor;
    CHECK_FALSE(queue.waitUntilIdle("a", 50ms, [&](std::int64_t id) { waitedFor.push_back(id); }));
    launcher.release("running");
    launcher.release("next");
    CHECK(waitedFor == std::vector<std::int64_t>{*running});  // said once
    CHECK(queue.waitUntilIdle("a", 5s, [](std::int64_t) {}));
    std::this_thread::sleep_for(100ms);
    CHECK(stateOf(*store, *next) == model::JobState::queued);  // held
    hold.reset();
    CHECK(reaches(*store, *next, model::JobState::finished));
}

TEST_CASE_METHOD(QueueFixture,
                 "an array queues one job per index with PPCS_ARRAY_INDEX, one after another, and its id cancels what is left",
                 "[jobs][queue]") {
    JobRequest request = job("a", "element");
    request.env = {"MINE=1"};
    request.array = "3-6";
    auto arrayId = queue.submit(request);
    REQUIRE(arrayId);
    auto listed = queue.list("a", 0);
    REQUIRE(listed);
    REQUIRE(listed->size() == 4);
    for (int index = 0; index < 4; ++index) {
        CHECK((*listed)[index].arrayId == *arrayId);
        CHECK((*listed)[index].arrayIndex == index + 3);
        CHECK((*listed)[index].id == *arrayId + index);
    }
    launcher.release("element");  // each job ends at once
    REQUIRE(reaches(*store, *arrayId + 1, model::JobState::finished));
    // Cancel by the array's id: the ones that have not ended.
    auto cancelled = queue.cancel(*arrayId);
    REQUIRE(cancelled);
    queue.stop();
    int finished = 0, cancelledJobs = 0;
    for (int index = 0; index < 4; ++index) {
        auto state = stateOf(*store, *arrayId + index);
        finished += state == model::JobState::finished;
        cancelledJobs += state == model::JobState::cancelled;
    }
    CHECK(finished + cancelledJobs == 4);
    CHECK(launcher.runningAtOnceMost() == 1);
    auto environments = launcher.environments();
    REQUIRE(environments.size() >= 2);
    CHECK(environments[0] == "MINE=1,PPCS_ARRAY_INDEX=3");
    CHECK(environments[1] == "MINE=1,PPCS_ARRAY_INDEX=4");
    // A bad array is refused before anything is queued.
    request.array = "6-3";
    auto refused = queue.submit(request);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == ErrorCode::usage);
    CHECK(queue.list("a", 100)->size() == 4);
}

TEST_CASE_METHOD(QueueFixture, "cancel: a queued job leaves its queue and never starts, a started one is asked to stop",
                 "[jobs][queue]") {
    auto running = queue.submit(job("a", "running"));
    auto waiting = queue.submit(job("a", "waiting"));
    REQUIRE((running && waiting));
    REQUIRE(reaches(*store, *running, model::JobState::running));

    // A follower of the queued job is told it waits, then how it ended.
    std::vector<std::string> notices;
    std::thread follower([&] {
        auto outcome = queue.follow(
            *waiting,
            [&](model::Phase phase, const std::string& text) {
                if (phase == model::Phase::notice) notices.push_back(text);
            },
            [] { return true; });
        REQUIRE(outcome);
        CHECK(outcome->exitCode == 130);
        CHECK(outcome->state == model::JobState::cancelled);
    });
    std::this_thread::sleep_for(100ms);
    CHECK(queue.cancel(*waiting).value());
    follower.join();
    CHECK(stateOf(*store, *waiting) == model::JobState::cancelled);
    CHECK(store->get(*waiting)->message == "was cancelled before it started");
    REQUIRE(notices.size() == 1);
    CHECK(notices[0] == "job " + std::to_string(*waiting) +
                            " waits in cluster 'a''s queue (position 1): it starts when the "
                            "cluster has room for it");

    CHECK(queue.cancel(*running).value());
    REQUIRE(reaches(*store, *running, model::JobState::cancelled));
    queue.stop();
    CHECK(launcher.started() == std::vector<std::string>{"running"});
    CHECK_FALSE(queue.cancel(*running).value());  // it has ended
    auto unknown = queue.cancel(987654);
    REQUIRE_FALSE(unknown);
    CHECK(unknown.error().code == ErrorCode::usage);
}

TEST_CASE_METHOD(QueueFixture,
                 "with --retry, a job a lost node stopped is queued again at the head, and every attempt is recorded",
                 "[jobs][queue]") {
    launcher.loseNodeOnFirstAttempt = true;
    auto retried = queue.submit(job("a", "retried", 1));
    REQUIRE(retried);
    // Its first attempt ends at once (the node is lost); then it runs until released.
    for (int wait = 0; wait < 400 && store->get(*retried)->attempt < 2; ++wait) std::this_thread::sleep_for(10ms);
    auto next = queue.submit(job("a", "next"));
    REQUIRE(next);
    launcher.release("retried");
    launcher.release("next");
    REQUIRE(reaches(*store, *next, model::JobState::failed));  // `next` loses its node too, and has no retry
    queue.stop();
    auto record = store->get(*retried);
    CHECK(record->state == model::JobState::finished);
    CHECK(record->attempt == 2);
    auto chunks = store->output(*retried);
    REQUIRE(chunks);
    std::string output;
    for (const auto& chunk : *chunks) output += chunk.data;
    CHECK(output == "retried says hello\n[ppcs: attempt 1 ended: lost node n-1 (10.0.0.3); queued again]\nretried says hello\n");
    CHECK(launcher.started() == std::vector<std::string>{"retried", "retried", "next"});
    CHECK(launcher.attemptsSeen() == std::vector<int>{1, 2, 1});  // the second attempt is told it is one
    CHECK(store->get(*next)->attempt == 1);
}

TEST_CASE("queued jobs survive a restart, and a job the dead daemon ran is queued again only with retries left",
          "[jobs][queue]") {
    ScratchDir dir;
    std::int64_t queued = 0, retried = 0, interrupted = 0;
    {
        auto store = openStore(dir);
        interrupted = *store->enqueue(JobRecord{0, "a", "once", {}, 1}, "a once 0 -");
        JobRecord withRetry{0, "a", "again", {}, 1};
        withRetry.retries = 1;
        retried = *store->enqueue(withRetry, "a again 0 -");
        queued = *store->enqueue(JobRecord{0, "a", "later", {}, 1}, "a later 0 -");
        REQUIRE(*store->markStarted(interrupted, 1));
        REQUIRE(*store->markStarted(retried, 1));
    }  // the daemon dies: nothing is finished
    auto store = openStore(dir);
    CHECK(store->interruptedClusters() == std::vector<std::string>{"a"});
    CHECK(stateOf(*store, interrupted) == model::JobState::interrupted);
    CHECK(stateOf(*store, retried) == model::JobState::queued);
    CHECK(store->get(retried)->attempt == 2);
    auto order = store->queued();
    REQUIRE(order);
    REQUIRE(order->size() == 2);
    CHECK((*order)[0].record.id == retried);  // at the head
    CHECK((*order)[1].record.id == queued);
    CHECK((*order)[1].request == "a later 0 -");

    FakeLauncher launcher(*store);
    launcher.release("again");
    launcher.release("later");
    JobQueue queue(
        *store, plainCodec(), launcher.launcher(), [](const std::string&) { return true; }, 10ms);
    queue.start();
    REQUIRE(reaches(*store, queued, model::JobState::finished));
    queue.stop();
    CHECK(launcher.started() == std::vector<std::string>{"again", "later"});
}

TEST_CASE_METHOD(QueueFixture,
                 "a follower that comes late gets everything from the submission, and one of an ended job its stored output",
                 "[jobs][queue]") {
    auto id = queue.submit(job("a", "talker"));
    REQUIRE(id);
    REQUIRE(reaches(*store, *id, model::JobState::running));
    std::string live;
    std::thread follower([&] {
        auto outcome = queue.follow(
            *id,
            [&](model::Phase phase, const std::string& text) {
                if (phase == model::Phase::standardOutput) live += text;
            },
            [] { return true; });
        CHECK(outcome);
    });
    std::this_thread::sleep_for(50ms);
    launcher.release("talker");
    follower.join();
    CHECK(live == "talker says hello\n");
    REQUIRE(reaches(*store, *id, model::JobState::finished));
    std::string replayed;
    auto ended = queue.follow(
        *id, [&](model::Phase, const std::string& text) { replayed += text; }, [] { return true; });
    REQUIRE(ended);
    CHECK(replayed == "talker says hello\n");
    CHECK(ended->exitCode == 0);
    // A follower that gives up gets an error; the job goes on.
    auto waiting = queue.submit(job("a", "long"));
    auto gaveUp = queue.follow(
        *waiting, [](model::Phase, const std::string&) {}, [] { return false; });
    CHECK_FALSE(gaveUp);
    launcher.release("long");
    CHECK(reaches(*store, *waiting, model::JobState::finished));
}

TEST_CASE("a feed keeps at most its bound: a late follower is told what it missed, once", "[jobs][queue]") {
    JobFeed feed(10);
    feed.publish(model::Phase::standardOutput, "12345");
    feed.publish(model::Phase::standardOutput, "67890");
    feed.publish(model::Phase::standardOutput, "abcde");
    model::JobOutcome outcome;
    outcome.exitCode = 4;
    feed.finish(outcome);
    feed.publish(model::Phase::standardOutput, "after the end");  // dropped
    std::vector<std::string> seen;
    auto ended = feed.follow([&](model::Phase, const std::string& text) { seen.push_back(text); }, {});
    REQUIRE(ended);
    REQUIRE(*ended);
    CHECK((*ended)->exitCode == 4);
    REQUIRE(seen.size() == 3);
    CHECK(seen[0].find("no longer held in memory") != std::string::npos);
    CHECK(seen[1] == "67890");
    CHECK(seen[2] == "abcde");
}
