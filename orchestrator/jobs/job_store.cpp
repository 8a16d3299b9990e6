#include "jobs/job_store.h"

#include <sqlite3.h>
#include <sys/stat.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "common/clock.h"
#include "common/log.h"

namespace ppcs::jobs {
namespace {

constexpr const char* kSchema =
    "PRAGMA journal_mode=WAL;"
    "CREATE TABLE IF NOT EXISTS jobs ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT, cluster TEXT NOT NULL, program TEXT NOT NULL, args TEXT NOT NULL,"
    "  np INTEGER NOT NULL, started_at TEXT NOT NULL, seconds REAL NOT NULL DEFAULT 0, exit_code INTEGER,"
    "  state TEXT NOT NULL, message TEXT NOT NULL DEFAULT '');"
    "CREATE TABLE IF NOT EXISTS job_output ("
    "  job_id INTEGER NOT NULL REFERENCES jobs(id), seq INTEGER PRIMARY KEY AUTOINCREMENT, is_err INTEGER NOT NULL, data BLOB "
    "NOT NULL);"
    "CREATE INDEX IF NOT EXISTS job_output_by_job ON job_output(job_id, seq);";
// The columns the queue added, to a new store as to one an older ppcsd wrote, when it is opened.
constexpr std::pair<const char*, const char*> kQueueColumns[] = {
    {"request", "TEXT NOT NULL DEFAULT ''"},       {"queued_at", "TEXT NOT NULL DEFAULT ''"},
    {"queued_epoch", "REAL NOT NULL DEFAULT 0"},   {"waited", "REAL NOT NULL DEFAULT 0"},
    {"queue_order", "INTEGER NOT NULL DEFAULT 0"}, {"attempt", "INTEGER NOT NULL DEFAULT 1"},
    {"retries", "INTEGER NOT NULL DEFAULT 0"},     {"array_id", "INTEGER NOT NULL DEFAULT 0"},
    {"array_index", "INTEGER NOT NULL DEFAULT -1"}};
constexpr const char* kMarkInterrupted =
    "UPDATE jobs SET state = 'interrupted', message = 'ppcsd stopped while the job ran' WHERE state = 'running';";
// The head of the queues: a job queued again goes before every queued one.
constexpr const char* kHeadOfQueue = "(SELECT COALESCE(MIN(queue_order), 0) - 1 FROM jobs WHERE state = 'queued')";

// A prepared statement, finalized when it goes out of scope.
class Statement {
public:
    Statement(sqlite3* db, const char* sql) { ok_ = sqlite3_prepare_v2(db, sql, -1, &statement_, nullptr) == SQLITE_OK; }
    ~Statement() { sqlite3_finalize(statement_); }
    bool ok() const { return ok_; }
    sqlite3_stmt* get() { return statement_; }
    void bind(int index, const std::string& text) {
        sqlite3_bind_text(statement_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
    }
    void bind(int index, std::int64_t value) { sqlite3_bind_int64(statement_, index, value); }
    void bindDouble(int index, double value) { sqlite3_bind_double(statement_, index, value); }
    void bindBlob(int index, const std::string& data) {
        sqlite3_bind_blob(statement_, index, data.data(), static_cast<int>(data.size()), SQLITE_TRANSIENT);
    }
    std::string text(int column) {
        auto* value = sqlite3_column_text(statement_, column);
        return value ? std::string(reinterpret_cast<const char*>(value),
                                   static_cast<std::size_t>(sqlite3_column_bytes(statement_, column)))
                     : "";
    }

private:
    sqlite3_stmt* statement_ = nullptr;
    bool ok_ = false;
};

JobRecord recordFrom(Statement& row) {
    JobRecord record;
    record.id = sqlite3_column_int64(row.get(), 0);
    record.cluster = row.text(1);
    record.program = row.text(2);
    auto args = nlohmann::json::parse(row.text(3), nullptr, false);
    if (args.is_array())
        for (const auto& arg : args)
            if (arg.is_string()) record.args.push_back(arg.get<std::string>());
    record.np = sqlite3_column_int(row.get(), 4);
    record.startedAt = row.text(5);
    record.seconds = sqlite3_column_double(row.get(), 6);
    if (sqlite3_column_type(row.get(), 7) != SQLITE_NULL) record.exitCode = sqlite3_column_int(row.get(), 7);
    // A state this ppcsd does not know (written by a newer one) reads as interrupted: not running.
    record.state = jobStateFromName(row.text(8)).value_or(JobState::interrupted);
    record.message = row.text(9);
    record.queuedAt = row.text(10);
    record.waitedSeconds = record.state == JobState::queued && sqlite3_column_double(row.get(), 11) > 0
                               ? std::max(0.0, unixSeconds() - sqlite3_column_double(row.get(), 11))
                               : sqlite3_column_double(row.get(), 12);
    record.attempt = sqlite3_column_int(row.get(), 13);
    record.retries = sqlite3_column_int(row.get(), 14);
    record.position = sqlite3_column_int(row.get(), 15);
    record.arrayId = sqlite3_column_int64(row.get(), 17);
    record.arrayIndex = sqlite3_column_int(row.get(), 18);
    return record;
}

// Every column of a record; a queued job's position counts the queued jobs of its cluster up to it.
constexpr const char* kRecordColumns =
    "SELECT id, cluster, program, args, np, started_at, seconds, exit_code, state, message, queued_at, queued_epoch, waited,"
    " attempt, retries, CASE WHEN state = 'queued' THEN (SELECT COUNT(*) FROM jobs AS q WHERE q.state = 'queued'"
    " AND q.cluster = jobs.cluster AND q.queue_order <= jobs.queue_order) ELSE 0 END, request, array_id, array_index FROM jobs";
// Hands each row of kRecordColumns matching `where` (which may end in ORDER BY) to take: of
// cluster, or of every cluster when it is empty; at most limit rows (-1: all). False when SQLite
// failed (sqlite3_errmsg says why).
template <class Take>
bool eachRecordRow(sqlite3* db, const std::string& where, const std::string& cluster, std::int64_t limit, Take take) {
    std::string sql = std::string(kRecordColumns) + " WHERE (? = '' OR cluster = ?) AND " + where + " LIMIT ?";
    Statement query(db, sql.c_str());
    if (!query.ok()) return false;
    query.bind(1, cluster);
    query.bind(2, cluster);
    query.bind(3, limit);
    int step = SQLITE_ROW;
    while ((step = sqlite3_step(query.get())) == SQLITE_ROW) take(query);
    return step == SQLITE_DONE;
}

// Retention: the finished jobs beyond the newest ? (the newest has the highest id), output first.
constexpr const char* kDeleteOldOutput =
    "DELETE FROM job_output WHERE job_id IN (SELECT id FROM jobs WHERE state NOT IN ('running', 'queued') ORDER BY id DESC "
    "LIMIT -1 OFFSET ?)";
constexpr const char* kDeleteOldJobs =
    "DELETE FROM jobs WHERE id IN (SELECT id FROM jobs WHERE state NOT IN ('running', 'queued') ORDER BY id DESC LIMIT -1 "
    "OFFSET ?)";

}  // namespace

Result<std::unique_ptr<JobStore>> JobStore::open(const std::string& path, int keepFinished) {
    if (auto valid = parseKeptJobs(std::to_string(keepFinished), "the job store"); !valid) return valid.error();
    sqlite3* db = nullptr;
    mode_t previous = ::umask(077);
    int opened = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
    ::umask(previous);
    if (opened != SQLITE_OK) {
        Error error =
            makeError(ErrorCode::failed, "open job store '" + path + "': " + (db ? sqlite3_errmsg(db) : "out of memory"));
        sqlite3_close(db);
        return error;
    }
    sqlite3_busy_timeout(db, 5000);
    std::unique_ptr<JobStore> store(new JobStore(db, path, keepFinished));
    if (auto made = store->execute(kSchema); !made) return made.error();
    if (auto added = store->addMissingColumns(); !added) return added.error();
    if (auto recovered = store->recoverRunningJobs(); !recovered) return recovered.error();
    return store;
}

Status JobStore::addMissingColumns() {
    std::set<std::string> present;
    {
        Statement columns(db_, "PRAGMA table_info(jobs)");
        if (!columns.ok()) return sqlError("read the jobs table's columns");
        while (sqlite3_step(columns.get()) == SQLITE_ROW) present.insert(columns.text(1));
    }
    for (const auto& [name, declaration] : kQueueColumns)
        if (!present.count(name))
            if (auto added = execute(std::string("ALTER TABLE jobs ADD COLUMN ") + name + " " + declaration); !added)
                return added;
    return {};
}

// The jobs a dead daemon left running: queued again when they have retries left, else interrupted.
Status JobStore::recoverRunningJobs() {
    std::vector<std::int64_t> retried;
    {
        Statement running(db_, "SELECT DISTINCT cluster FROM jobs WHERE state = 'running'");
        if (!running.ok()) return sqlError("find running jobs");
        while (sqlite3_step(running.get()) == SQLITE_ROW) interruptedClusters_.push_back(running.text(0));
        Statement retry(db_, "SELECT id FROM jobs WHERE state = 'running' AND attempt <= retries ORDER BY queue_order DESC");
        if (!retry.ok()) return sqlError("find running jobs");
        while (sqlite3_step(retry.get()) == SQLITE_ROW) retried.push_back(sqlite3_column_int64(retry.get(), 0));
    }
    for (auto id : retried)
        if (auto requeued = requeue(id, "ppcsd stopped while the job ran"); !requeued) return requeued;
    return execute(kMarkInterrupted);
}

JobStore::~JobStore() { sqlite3_close(db_); }

Status JobStore::execute(const std::string& sql) {
    char* message = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
        std::string text = message ? message : "unknown error";
        sqlite3_free(message);
        return makeError(ErrorCode::failed, "job store '" + path_ + "': " + text);
    }
    return {};
}

Error JobStore::sqlError(const std::string& what) const {
    return makeError(ErrorCode::failed, "job store '" + path_ + "': " + what + ": " + sqlite3_errmsg(db_));
}

Status JobStore::appendOutput(std::int64_t id, bool isErr, const std::string& data) {
    std::lock_guard<std::mutex> lock(mutex_);
    return appendOutputLocked(id, isErr, data);
}

Status JobStore::appendOutputLocked(std::int64_t id, bool isErr, const std::string& data) {
    std::size_t& stored = storedBytes_[id];
    if (stored >= kMaxStoredOutputBytes) return {};
    std::string kept = data.substr(0, kMaxStoredOutputBytes - stored);
    stored += kept.size();
    if (stored >= kMaxStoredOutputBytes) kept += "\n[ppcs: output beyond 8 MiB was not stored]\n";
    Statement insert(db_, "INSERT INTO job_output (job_id, is_err, data) VALUES (?, ?, ?)");
    if (!insert.ok()) return sqlError("store output of job " + std::to_string(id));
    insert.bind(1, id);
    insert.bind(2, static_cast<std::int64_t>(isErr ? 1 : 0));
    insert.bindBlob(3, kept);
    if (sqlite3_step(insert.get()) != SQLITE_DONE) return sqlError("store output of job " + std::to_string(id));
    return {};
}

Result<std::int64_t> JobStore::enqueue(const JobRecord& record, const std::string& request) {
    auto ids = enqueueAll({QueuedJob{record, request}});
    if (!ids) return ids.error();
    return ids->front();
}

Result<std::vector<std::int64_t>> JobStore::enqueueAll(const std::vector<QueuedJob>& jobs) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto begun = execute("BEGIN IMMEDIATE"); !begun) return begun.error();
    std::vector<std::int64_t> ids;
    Status inserted;
    for (const auto& job : jobs) {
        // The first job of an array names it.
        std::int64_t arrayId = job.record.arrayIndex >= 0 && !ids.empty() ? ids.front() : 0;
        auto id = insertQueued(job, arrayId);
        if (!id) {
            inserted = id.error();
            break;
        }
        ids.push_back(*id);
    }
    Status committed = inserted ? execute("COMMIT") : inserted;
    if (!committed) {
        // Nothing was queued then; a rollback that fails too leaves SQLite to roll back itself.
        (void)execute("ROLLBACK");
        return committed.error();
    }
    return ids;
}

Result<std::int64_t> JobStore::insertQueued(const QueuedJob& job, std::int64_t arrayId) {
    const JobRecord& record = job.record;
    Statement insert(db_,
                     "INSERT INTO jobs (cluster, program, args, np, started_at, state, request, queued_at, queued_epoch, retries,"
                     " array_id, array_index) VALUES (?, ?, ?, ?, '', 'queued', ?, ?, ?, ?, ?, ?)");
    if (!insert.ok()) return sqlError("queue a new job");
    insert.bind(1, record.cluster);
    insert.bind(2, record.program);
    insert.bind(3, nlohmann::json(record.args).dump());
    insert.bind(4, static_cast<std::int64_t>(record.np));
    insert.bind(5, job.request);
    insert.bind(6, utcTimestamp());
    insert.bindDouble(7, unixSeconds());
    insert.bind(8, static_cast<std::int64_t>(record.retries));
    insert.bind(9, arrayId);
    insert.bind(10, static_cast<std::int64_t>(record.arrayIndex));
    if (sqlite3_step(insert.get()) != SQLITE_DONE) return sqlError("queue a new job");
    auto id = static_cast<std::int64_t>(sqlite3_last_insert_rowid(db_));
    // Its place: after every job queued before it (ids only grow), behind any queued again.
    std::string names = record.arrayIndex >= 0 && arrayId == 0 ? ", array_id = id" : "";
    if (auto placed = execute("UPDATE jobs SET queue_order = id" + names + " WHERE id = " + std::to_string(id)); !placed)
        return placed.error();
    return id;
}

Result<std::vector<QueuedJob>> JobStore::queued() {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<QueuedJob> jobs;
    if (!eachRecordRow(db_, "state = 'queued' ORDER BY queue_order, id", "", -1, [&jobs](Statement& row) {
            jobs.push_back({recordFrom(row), row.text(16)});
        }))
        return sqlError("list queued jobs");
    return jobs;
}

Result<bool> JobStore::markStarted(std::int64_t id, int np) {
    std::lock_guard<std::mutex> lock(mutex_);
    Statement update(db_,
                     "UPDATE jobs SET state = 'running', np = ?, started_at = ?, waited = MAX(0, ? - queued_epoch)"
                     " WHERE id = ? AND state = 'queued'");
    if (!update.ok()) return sqlError("start job " + std::to_string(id));
    update.bind(1, static_cast<std::int64_t>(np));
    update.bind(2, utcTimestamp());
    update.bindDouble(3, unixSeconds());
    update.bind(4, id);
    if (sqlite3_step(update.get()) != SQLITE_DONE) return sqlError("start job " + std::to_string(id));
    return sqlite3_changes(db_) > 0;
}

Result<bool> JobStore::cancelQueued(std::int64_t id, const std::string& message) {
    std::lock_guard<std::mutex> lock(mutex_);
    Statement update(db_, "UPDATE jobs SET state = 'cancelled', exit_code = 130, message = ? WHERE id = ? AND state = 'queued'");
    if (!update.ok()) return sqlError("cancel job " + std::to_string(id));
    update.bind(1, message);
    update.bind(2, id);
    if (sqlite3_step(update.get()) != SQLITE_DONE) return sqlError("cancel job " + std::to_string(id));
    bool cancelled = sqlite3_changes(db_) > 0;
    if (cancelled)
        if (auto pruned = pruneLocked(keepFinished_); !pruned)
            log::warn("job " + std::to_string(id) +
                      " is cancelled, but older jobs could not be deleted: " + pruned.error().message);
    return cancelled;
}

Status JobStore::requeue(std::int64_t id, const std::string& why) {
    std::lock_guard<std::mutex> lock(mutex_);
    std::string what = "queue job " + std::to_string(id) + " again";
    Statement attempt(db_, "SELECT attempt FROM jobs WHERE id = ?");
    if (!attempt.ok()) return sqlError(what);
    attempt.bind(1, id);
    if (sqlite3_step(attempt.get()) != SQLITE_ROW) return sqlError(what);
    int number = sqlite3_column_int(attempt.get(), 0);
    std::string sql = std::string("UPDATE jobs SET state = 'queued', attempt = attempt + 1, exit_code = NULL, seconds = 0,") +
                      " queued_epoch = ?, message = ?, queue_order = " + kHeadOfQueue + " WHERE id = ?";
    Statement update(db_, sql.c_str());
    if (!update.ok()) return sqlError(what);
    update.bindDouble(1, unixSeconds());
    update.bind(2, "attempt " + std::to_string(number) + ": " + why);
    update.bind(3, id);
    if (sqlite3_step(update.get()) != SQLITE_DONE) return sqlError(what);
    storedBytes_.erase(id);
    return appendOutputLocked(id, true, "[ppcs: attempt " + std::to_string(number) + " ended: " + why + "; queued again]\n");
}

Status JobStore::finish(std::int64_t id, JobState state, std::optional<int> exitCode, double seconds,
                        const std::string& message) {
    std::lock_guard<std::mutex> lock(mutex_);
    storedBytes_.erase(id);
    Statement update(db_, "UPDATE jobs SET state = ?, exit_code = ?, seconds = ?, message = ? WHERE id = ?");
    std::string what = "record the end of job " + std::to_string(id);
    if (!update.ok()) return sqlError(what);
    update.bind(1, std::string(jobStateName(state)));
    if (exitCode)
        update.bind(2, static_cast<std::int64_t>(*exitCode));
    else
        sqlite3_bind_null(update.get(), 2);
    update.bindDouble(3, seconds);
    update.bind(4, message);
    update.bind(5, id);
    if (sqlite3_step(update.get()) != SQLITE_DONE) return sqlError(what);
    if (auto pruned = pruneLocked(keepFinished_); !pruned)
        log::warn("job " + std::to_string(id) + " is recorded, but older jobs could not be deleted: " + pruned.error().message);
    return {};
}

Result<PruneReport> JobStore::prune(int keep) {
    std::lock_guard<std::mutex> lock(mutex_);
    return pruneLocked(keep);
}

Result<PruneReport> JobStore::pruneLocked(int keep) {
    if (auto valid = parseKeptJobs(std::to_string(keep), "prune"); !valid) return valid.error();
    if (auto begun = execute("BEGIN IMMEDIATE"); !begun) return begun.error();
    auto deleteBeyond = [&](const char* sql) -> Result<std::int64_t> {
        Statement remove(db_, sql);
        if (!remove.ok()) return sqlError("delete old jobs");
        remove.bind(1, static_cast<std::int64_t>(keep));
        if (sqlite3_step(remove.get()) != SQLITE_DONE) return sqlError("delete old jobs");
        return static_cast<std::int64_t>(sqlite3_changes(db_));
    };
    auto output = deleteBeyond(kDeleteOldOutput);
    auto removed = output ? deleteBeyond(kDeleteOldJobs) : output;
    Status committed = removed ? execute("COMMIT") : Status(removed.error());
    if (!committed) {
        // Nothing was deleted then; a rollback that fails too leaves SQLite to roll back itself.
        (void)execute("ROLLBACK");
        return committed.error();
    }
    return PruneReport{*removed, keep};
}

Result<std::vector<JobRecord>> JobStore::list(int limit) { return select("1 ORDER BY id DESC", "", limit, "list jobs"); }

Result<std::map<JobState, std::int64_t>> JobStore::countByState() {
    std::lock_guard<std::mutex> lock(mutex_);
    Statement count(db_, "SELECT state, COUNT(*) FROM jobs GROUP BY state");
    if (!count.ok()) return sqlError("count jobs");
    std::map<JobState, std::int64_t> counts;
    int step;
    while ((step = sqlite3_step(count.get())) == SQLITE_ROW)
        if (auto state = model::jobStateFromName(count.text(0))) counts[*state] += sqlite3_column_int64(count.get(), 1);
    if (step != SQLITE_DONE) return sqlError("count jobs");
    return counts;
}

Result<std::vector<JobRecord>> JobStore::select(const std::string& where, const std::string& cluster, std::int64_t limit,
                                                const std::string& what) {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<JobRecord> records;
    if (!eachRecordRow(db_, where, cluster, limit, [&records](Statement& row) { records.push_back(recordFrom(row)); }))
        return sqlError(what);
    return records;
}

Result<std::vector<JobRecord>> JobStore::active(const std::string& cluster) {
    return select("state IN ('running', 'queued') ORDER BY state = 'queued', queue_order, id", cluster, -1, "list active jobs");
}

Result<std::vector<JobRecord>> JobStore::recentEnded(const std::string& cluster, int limit) {
    return select("state NOT IN ('running', 'queued') ORDER BY id DESC", cluster, limit, "list recent jobs");
}

Result<JobRecord> JobStore::get(std::int64_t id) {
    std::lock_guard<std::mutex> lock(mutex_);
    std::string sql = std::string(kRecordColumns) + " WHERE id = ?";
    Statement query(db_, sql.c_str());
    if (!query.ok()) return sqlError("read job " + std::to_string(id));
    query.bind(1, id);
    int step = sqlite3_step(query.get());
    if (step == SQLITE_DONE) return makeError(ErrorCode::notFound, "no job " + std::to_string(id));
    if (step != SQLITE_ROW) return sqlError("read job " + std::to_string(id));
    return recordFrom(query);
}

Result<std::vector<OutputChunk>> JobStore::output(std::int64_t id) {
    std::lock_guard<std::mutex> lock(mutex_);
    Statement query(db_, "SELECT is_err, data FROM job_output WHERE job_id = ? ORDER BY seq");
    if (!query.ok()) return sqlError("read output of job " + std::to_string(id));
    query.bind(1, id);
    std::vector<OutputChunk> chunks;
    int step = SQLITE_ROW;
    while ((step = sqlite3_step(query.get())) == SQLITE_ROW) {
        auto* data = static_cast<const char*>(sqlite3_column_blob(query.get(), 1));
        chunks.push_back({sqlite3_column_int(query.get(), 0) != 0,
                          data ? std::string(data, static_cast<std::size_t>(sqlite3_column_bytes(query.get(), 1))) : ""});
    }
    if (step != SQLITE_DONE) return sqlError("read output of job " + std::to_string(id));
    return chunks;
}

}  // namespace ppcs::jobs
