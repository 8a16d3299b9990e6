// jobs.db: retention (finished jobs beyond the newest N deleted with their output, running jobs
// never), `prune`, and writes that fail as on a full disk: each failure is returned with the
// database's path and what was being recorded, and a job that cannot be queued never runs.

#include "jobs/job_store.h"

#include <sqlite3.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <memory>
#include <thread>

#include "jobs/job_queue.h"
#include "jobs/job_runner.h"
#include "support/engine_bytes.h"
#include "support/fake_transport.h"

namespace ppcs::jobs {
// Declared a friend by JobStore: the connection, to set a page limit on it.
struct JobStoreTestAccess {
    static sqlite3* db(JobStore& store) { return store.db_; }
};
}  // namespace ppcs::jobs

using namespace ppcs;
using namespace ppcs::jobs;

namespace {

// A fresh jobs.db in a scratch directory, removed at the end.
class ScratchStore {
public:
    explicit ScratchStore(int keep = kDefaultKeptJobs) {
        char pattern[] = "/tmp/ppcs-store-test-XXXXXX";
        REQUIRE(::mkdtemp(pattern) != nullptr);
        dir_ = pattern;
        path = dir_ + "/jobs.db";
        auto opened = JobStore::open(path, keep);
        REQUIRE(opened);
        store = std::move(*opened);
    }
    ~ScratchStore() {
        store.reset();
        (void)std::system(("rm -rf '" + dir_ + "'").c_str());
    }

    // A job queued and started, given output and, unless finished is false, finished.
    std::int64_t job(const std::string& cluster, bool finished = true) {
        auto id = store->enqueue(JobRecord{0, cluster, "hello_world", {}, 2}, "{}");
        REQUIRE(id);
        REQUIRE(store->markStarted(*id, 2).value());
        REQUIRE(store->appendOutput(*id, false, "out of " + std::to_string(*id) + "\n"));
        if (finished) REQUIRE(store->finish(*id, model::JobState::finished, 0, 0.5, ""));
        return *id;
    }
    // Caps the database at the pages it has now: from here on, a write that needs a new page
    // fails as on a full disk ("database or disk is full").
    void capAtCurrentSize() {
        sqlite3* db = JobStoreTestAccess::db(*store);
        REQUIRE(sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr, nullptr) == SQLITE_OK);
        sqlite3_stmt* count = nullptr;
        REQUIRE(sqlite3_prepare_v2(db, "PRAGMA page_count", -1, &count, nullptr) == SQLITE_OK);
        REQUIRE(sqlite3_step(count) == SQLITE_ROW);
        std::string pages = std::to_string(sqlite3_column_int64(count, 0));
        sqlite3_finalize(count);
        REQUIRE(sqlite3_exec(db, ("PRAGMA max_page_count = " + pages).c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
    }
    // Starts small jobs until the store refuses one: the jobs table has no room left either.
    void fillUp() {
        for (int i = 0; i < 100000; ++i) {
            auto id = store->enqueue(JobRecord{0, "f", "x", {}, 1}, "{}");
            if (!id) return;
            auto started = store->markStarted(*id, 1);  // running: no queue ever starts it
            REQUIRE((started && *started));
        }
        FAIL("the capped store never filled up");
    }

    std::string path;
    std::unique_ptr<JobStore> store;

private:
    std::string dir_;
};

std::vector<std::int64_t> listedIds(JobStore& store) {
    auto listed = store.list(1000);
    REQUIRE(listed);
    std::vector<std::int64_t> ids;
    for (const auto& record : *listed) ids.push_back(record.id);
    return ids;
}

}  // namespace

TEST_CASE("a finishing job deletes finished jobs beyond the newest N with their output, never running ones", "[jobs][store]") {
    ScratchStore scratch(3);
    auto oldRunning = scratch.job("a", false);
    std::vector<std::int64_t> finished;
    for (int i = 0; i < 5; ++i) finished.push_back(scratch.job("a"));
    // Five finished, keep 3: the two oldest finished are gone, the older running job stays.
    CHECK(listedIds(*scratch.store) == std::vector<std::int64_t>{finished[4], finished[3], finished[2], oldRunning});
    CHECK(scratch.store->get(finished[0]).error().code == ErrorCode::notFound);
    auto output = scratch.store->output(finished[1]);
    REQUIRE(output);
    CHECK(output->empty());
    CHECK(scratch.store->output(finished[2])->size() == 1);
    CHECK(scratch.store->output(oldRunning)->front().data == "out of " + std::to_string(oldRunning) + "\n");
}

TEST_CASE("jobs are counted by state, for the metrics", "[jobs][store]") {
    ScratchStore scratch;
    CHECK(scratch.store->countByState().value().empty());
    scratch.job("a");
    scratch.job("b");
    scratch.job("a", false);
    REQUIRE(scratch.store->enqueue(JobRecord{0, "a", "hello_world", {}, 2}, "{}"));
    auto counts = scratch.store->countByState();
    REQUIRE(counts);
    CHECK(*counts == std::map<model::JobState, std::int64_t>{
                         {model::JobState::queued, 1}, {model::JobState::running, 1}, {model::JobState::finished, 2}});
}

TEST_CASE("prune deletes finished jobs beyond the newest N and says how many", "[jobs][store]") {
    ScratchStore scratch;
    auto first = scratch.job("a");
    auto running = scratch.job("b", false);
    auto second = scratch.job("a");
    auto third = scratch.job("c");
    auto kept = scratch.store->prune(2);
    REQUIRE(kept);
    CHECK(kept->removed == 1);
    CHECK(kept->keep == 2);
    CHECK(scratch.store->get(first).error().code == ErrorCode::notFound);
    CHECK(listedIds(*scratch.store) == std::vector<std::int64_t>{third, second, running});
    CHECK(scratch.store->prune(2)->removed == 0);
    auto all = scratch.store->prune(0);
    REQUIRE(all);
    CHECK(all->removed == 2);
    CHECK(listedIds(*scratch.store) == std::vector<std::int64_t>{running});
    CHECK(scratch.store->output(running)->size() == 1);

    auto negative = scratch.store->prune(-1);
    REQUIRE_FALSE(negative);
    CHECK(negative.error().code == ErrorCode::usage);
    CHECK(JobStore::open(scratch.path + "-other", -1).error().code == ErrorCode::usage);
}

TEST_CASE("numbers of jobs to keep are digits from 0 up, or one usage error naming the option", "[jobs][store]") {
    CHECK(*parseKeptJobs("0", "--keep") == 0);
    CHECK(*parseKeptJobs("1000", "--keep") == 1000);
    CHECK(*parseKeptJobs("100000000", "--keep") == kMaxKeptJobs);
    for (std::string bad : {"", "-1", "abc", "1x", "1.5", " 1", "100000001", "999999999999999999999"}) {
        INFO("'" << bad << "'");
        auto parsed = parseKeptJobs(bad, "--keep");
        REQUIRE_FALSE(parsed);
        CHECK(parsed.error().code == ErrorCode::usage);
        CHECK(parsed.error().message == "--keep takes a number of jobs from 0 to 100000000, not '" + bad + "'");
    }
}

TEST_CASE("writes to a full jobs.db fail with the file and what was being recorded", "[jobs][store]") {
    ScratchStore scratch;
    auto running = scratch.job("a", false);
    scratch.capAtCurrentSize();
    std::string big(256 * 1024, 'x');
    std::string prefix = "job store '" + scratch.path + "': ";

    auto queued = scratch.store->enqueue(JobRecord{0, "a", "hello_world", {big}, 2}, "{}");
    REQUIRE_FALSE(queued);
    CHECK(queued.error().message == prefix + "queue a new job: database or disk is full");
    auto stored = scratch.store->appendOutput(running, false, big);
    REQUIRE_FALSE(stored);
    CHECK(stored.error().message == prefix + "store output of job " + std::to_string(running) + ": database or disk is full");
    auto finished = scratch.store->finish(running, model::JobState::failed, 1, 2.0, big);
    REQUIRE_FALSE(finished);
    CHECK(finished.error().message == prefix + "record the end of job " + std::to_string(running) + ": database or disk is full");
    // What was written before is still there, unchanged.
    CHECK(scratch.store->get(running)->state == model::JobState::running);
    CHECK(scratch.store->output(running)->size() == 1);
}

TEST_CASE("a job that a full jobs.db cannot queue is refused, and nothing is launched", "[jobs][store]") {
    ScratchStore scratch;
    scratch.capAtCurrentSize();
    scratch.fillUp();
    int launched = 0;
    JobQueue queue(
        *scratch.store, {[](const JobRequest&) { return std::string("{}"); }, [](std::string_view) { return JobRequest{}; }},
        [&launched](const JobRequest&, std::int64_t, int, const ClusterShare&, JobControl&,
                    const model::Progress&) -> Result<model::JobOutcome> {
            ++launched;
            return model::JobOutcome{};
        },
        [](const std::string&) { return true; }, std::chrono::milliseconds(10));
    queue.start();
    JobRequest request;
    request.cluster = "demo";
    request.program = "hello_world";
    auto id = queue.submit(request);
    REQUIRE_FALSE(id);
    CHECK(id.error().message == "job not queued: job store '" + scratch.path + "': queue a new job: database or disk is full");
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    queue.stop();
    CHECK(launched == 0);
}

TEST_CASE("output that a full jobs.db cannot hold is said once, as a warning, and the job goes on", "[jobs][store]") {
    ScratchStore scratch;
    scratch.job("a");
    JobRecord queued{0, "demo", "-- true", {}, 2};
    auto queuedId = scratch.store->enqueue(queued, "{}");
    REQUIRE(queuedId);
    // The jobs table has no room for more rows; output past a page does not fit.
    scratch.capAtCurrentSize();
    auto transport = std::make_shared<testing::FakeTransport>();
    transport->expect("GET", "/_ping", testing::pingReply("1.41"));
    // The job's own hostfile goes with the launcher's exec (all its members on one host).
    transport->expectJson("POST", "/v1.41/containers/c1/exec", 201, R"({"Id":"e1"})");
    // Two pieces of stdout, each a frame of the exec stream.
    std::string big(64 * 1024, 'o');
    transport->expect("POST", "/v1.41/exec/e1/start",
                      testing::FakeReply{200, {}, {testing::execFrame(big), testing::execFrame(big)}});
    transport->expectJson("GET", "/v1.41/exec/e1/json", 200, R"({"Running":false,"ExitCode":0})");
    auto engine = docker::EngineClient::connect(transport);
    REQUIRE(engine);
    RunningJobs running;
    JobRunner runner(*engine, *scratch.store, running);
    JobRequest request;
    request.cluster = "demo";
    request.program = "true";
    request.isCommand = true;
    std::vector<cluster::Member> members{
        {model::MemberRole::head, 0, "demo-head", "10.128.0.2", "running", "", "c1", "n1", 2, true}};
    std::vector<std::string> warnings;
    std::size_t stdoutBytes = 0;
    JobControl control;
    auto outcome = runner.run(
        request, *queuedId, members,
        [&](model::Phase phase, const std::string& text) {
            if (phase == model::Phase::warning) warnings.push_back(text);
            if (phase == model::Phase::standardOutput) stdoutBytes += text.size();
        },
        control);
    REQUIRE(outcome);
    CHECK(outcome->exitCode == 0);
    CHECK(stdoutBytes == 2 * big.size());
    REQUIRE(warnings.size() == 1);
    std::string id = std::to_string(outcome->id);
    CHECK(warnings[0] == "job " + id + ": its output can no longer be recorded: job store '" + scratch.path +
                             "': store output of job " + id + ": database or disk is full");
    CHECK(scratch.store->get(outcome->id)->state == model::JobState::finished);
}
