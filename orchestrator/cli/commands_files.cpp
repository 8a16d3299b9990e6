// `ppcs-cluster cp`: files and directory trees between this machine and a cluster's shared
// folder, carried by ppcsd (which runs on this machine) through the archive API, streamed.
//
//   ppcs-cluster cp [--name C] LOCAL :PATH    into the shared folder (PATH relative to it)
//   ppcs-cluster cp [--name C] :PATH LOCAL    out of it
// As cp does: a copy goes inside an existing directory under its own name, else it takes the
// name given (whose parent must exist).

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <climits>
#include <cstdio>
#include <memory>

#include "api/client.h"
#include "cli/cli.h"
#include "cli/daemon_launcher.h"
#include "cli/output.h"
#include "common/files.h"
#include "model/cluster_spec.h"
#include "model/copy_request.h"

namespace ppcs::cli {
namespace {

struct CopyOptions {
    std::string cluster = model::kDefaultClusterName;
    std::string source;
    std::string destination;
};

bool isRemote(const std::string& word) { return !word.empty() && word.front() == ':'; }

// The request the two words make: exactly one of them names the shared folder (":PATH").
Result<model::CopyRequest> copyRequestFrom(const CopyOptions& options) {
    if (isRemote(options.source) == isRemote(options.destination))
        return makeError(ErrorCode::usage,
                         "cp needs one local path and one :PATH in the shared folder (e.g. `cp data.csv :inputs/`)");
    model::CopyRequest request;
    request.cluster = options.cluster;
    request.direction = isRemote(options.destination) ? model::CopyDirection::intoCluster : model::CopyDirection::outOfCluster;
    const std::string& remote = isRemote(options.source) ? options.source : options.destination;
    std::string local = isRemote(options.source) ? options.destination : options.source;
    auto relative = model::sharedRelativePath(std::string_view(remote).substr(1));
    if (!relative) return relative.error();
    request.remotePath = *relative;
    auto absolute = absoluteLocalPath(local);
    if (!absolute) return absolute.error();
    request.localPath = *absolute;
    if (auto valid = model::validateCopyRequest(request); !valid) return valid.error();
    return request;
}

std::string describe(const model::CopyReport& report, model::CopyDirection direction) {
    std::string what = std::to_string(report.tally.files) + (report.tally.files == 1 ? " file" : " files");
    if (report.tally.directories > 0)
        what +=
            " in " + std::to_string(report.tally.directories) + (report.tally.directories == 1 ? " directory" : " directories");
    what += " (" + formatMebibytes(report.tally.bytes) + ")";
    std::string remote = model::shownSharedPath(report.remotePath);
    std::string line =
        "copied " + what + (direction == model::CopyDirection::intoCluster ? " to " + remote : " to " + report.localPath);
    if (report.hosts > 1) line += " on " + std::to_string(report.hosts) + " docker hosts";
    if (report.tally.skipped > 0) line += "; skipped " + std::to_string(report.tally.skipped) + " links or special files";
    return line;
}

int copyFiles(const GlobalOptions& global, const CopyOptions& options) {
    auto request = copyRequestFrom(options);
    if (!request) return reportError(request.error());
    auto endpoint = ensureDaemon(global.stateDir);
    if (!endpoint) return reportError(endpoint.error());
    ProgressDisplay display;
    auto report = api::ApiClient(*endpoint).copy(
        *request, [&display](model::Phase phase, const std::string& text) { display.show(phase, text, false); });
    display.finish();
    if (!report) return reportError(report.error());
    if (global.json)
        std::printf("%s\n", api::encodeCopyReport(*report).c_str());
    else
        std::printf("%s\n", describe(*report, request->direction).c_str());
    return 0;
}

}  // namespace

void addFileCommands(CLI::App& app, const GlobalOptions& global, Action& action) {
    auto options = std::make_shared<CopyOptions>();
    auto* cp = app.add_subcommand(
        "cp", "Copy files or directories between this machine and the cluster's shared folder: cp LOCAL :PATH, cp :PATH LOCAL");
    addClusterNameOption(cp, options->cluster);
    cp->add_option("SOURCE", options->source, "A local path, or :PATH in the shared folder")->required()->type_name(kPathValue);
    cp->add_option("DEST", options->destination, "A local path, or :PATH in the shared folder (':' alone is the folder itself)")
        ->required()
        ->type_name(kPathValue);
    cp->callback([&global, &action, options] { action = [&global, options] { return copyFiles(global, *options); }; });
}

}  // namespace ppcs::cli
