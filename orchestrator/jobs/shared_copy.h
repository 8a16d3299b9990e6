#pragma once
// Copies between this host and a cluster's shared folder (`ppcs-cluster cp`, `run --output`),
// through the archive API of the head's container, streamed both ways (never whole in memory).
//
// Paths in the shared folder are checked twice: as text (jobs/copy_request.h: no "..", nothing
// outside the folder) and as the head resolves them (a link inside the folder that points out
// of it is refused), and the archive API is only ever given the resolved directory.

#include <functional>
#include <string>
#include <vector>

#include "cluster/readiness.h"
#include "common/result.h"
#include "docker/engine.h"
#include "jobs/job_runner.h"
#include "model/copy_request.h"

namespace ppcs::jobs {

// A path in the shared folder as the head sees it now.
struct SharedPath {
    enum class Kind { missing, file, directory, other };
    std::string real;  // absolute, links resolved, inside the shared folder
    Kind kind = Kind::missing;
    Kind parentKind = Kind::missing;  // of real's parent directory
};

// Resolves relative (as model::sharedRelativePath gives it) in the head. A usage error when it
// resolves outside the shared folder.
Result<SharedPath> inspectSharedPath(docker::Engine& engine, const std::string& headContainer, const std::string& relative);

// cp's rule for where a copy lands on this host: inside localPath (as remoteBase) when it is a
// directory, else localPath itself, whose parent directory must exist.
Result<std::string> localCopyTarget(const std::string& localPath, const std::string& remoteBase);

// `cp LOCAL :PATH`: into PATH when it is a directory (as LOCAL's name), else as PATH (its parent
// must be a directory); then, on a cluster spanning several docker hosts, to every host's copy of
// the shared folder. members: the cluster's running members, head first. abandon, asked between
// pieces, stops the copy with an error.
Result<model::CopyReport> copyIntoCluster(docker::Engine& engine, const std::vector<cluster::Member>& members,
                                          const model::CopyRequest& request, const std::function<bool()>& abandon = {});

// `cp :PATH LOCAL` and `run --output`: PATH (file or directory tree) from the head's copy of the
// shared folder written as localTarget (see local_download.h for what is refused).
Result<model::CopyReport> copyOutOfCluster(docker::Engine& engine, const std::string& headContainer, const std::string& relative,
                                           const std::string& localTarget, const std::function<bool()>& abandon = {});

// `run --output DIR`: the ended job's folder (jobs/ID in the head's copy of the shared folder)
// copied into outputDir (created when missing, merged into when present), said to events ("job"
// line). A failed copy is said as a "warning"; after a job that succeeded it also makes the
// outcome exit 1 with the reason (the user asked for the files and does not have them; the job's
// own record keeps its exit code).
void copyJobFolderBack(docker::Engine& engine, const std::string& headContainer, const std::string& outputDir,
                       JobOutcome& outcome, const JobEvents& events);

}  // namespace ppcs::jobs
