#pragma once
// JSON messages of the job operations (their methods and paths: operations.h):
//   run     <- JobRequest -> stream: progress phases "job-id", "job", "stdout", "stderr" (raw
//              output), "notice" and "warning" (lines the user must see: the job waits in its
//              queue, its output can no longer be recorded), then a JobOutcome
//   submit  <- JobRequest -> {"job_id": N}
//   follow  -> the stream of run, from the job's submission (for an ended job: its stored output)
//   queue   -> {"jobs": [JobRecord...]}: running, queued (in order), then recent
//   cancel  <- {"cluster": C} or {"id": N} -> {"cancelled": bool}
//   list    -> {"jobs": [JobRecord...]} (newest first)
//   log     -> {"job": JobRecord, "output": [{"stream": "out"|"err", "data": ...}]}
//   prune   <- {"keep": N} or {} (ppcsd's own setting) -> {"removed": R, "keep": N}

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "model/job.h"
#include "model/progress.h"

namespace ppcs::api {

inline constexpr std::size_t kMaxJobArgs = 4096;

// Cancels the job with this id when given, else the job running on the cluster.
struct CancelRequest {
    std::optional<std::int64_t> id;
    std::string cluster;
};

// Deletes finished jobs beyond the newest `keep`; without it, beyond ppcsd's setting.
struct PruneRequest {
    std::optional<int> keep;
};

std::string encodeJobRequest(const model::JobRequest& request);
// Usage errors for malformed JSON, unknown fields, wrong types and invalid values.
Result<model::JobRequest> decodeJobRequest(std::string_view body);
std::string encodeJobOutcome(const model::JobOutcome& outcome);
Result<model::JobOutcome> decodeJobOutcome(std::string_view body);
std::string encodeJobList(const std::vector<model::JobRecord>& records);
Result<std::vector<model::JobRecord>> decodeJobList(std::string_view body);
std::string encodeJobLog(const model::JobRecord& record, const std::vector<model::OutputChunk>& output);
Result<std::pair<model::JobRecord, std::vector<model::OutputChunk>>> decodeJobLog(std::string_view body);
std::string encodeCancelRequest(const CancelRequest& request);
// Usage errors for malformed JSON, unknown fields, both id and cluster, an id below 1 or an
// invalid cluster name. Without either field: the default cluster.
Result<CancelRequest> decodeCancelRequest(std::string_view body);
std::string encodePruneRequest(const PruneRequest& request);
// Usage errors for malformed JSON, unknown fields, and a keep that is not a number from 0 to
// model::kMaxKeptJobs.
Result<PruneRequest> decodePruneRequest(std::string_view body);
std::string encodePruneReport(const model::PruneReport& report);
Result<model::PruneReport> decodePruneReport(std::string_view body);
std::string encodeSubmitReply(std::int64_t id);
Result<std::int64_t> decodeSubmitReply(std::string_view body);
std::string encodeCancelReply(bool cancelled);
Result<bool> decodeCancelReply(std::string_view body);

}  // namespace ppcs::api
