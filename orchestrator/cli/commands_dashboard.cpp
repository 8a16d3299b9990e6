// `ppcs-cluster dashboard [--open]`: a one-time login link to ppcsd's web dashboard.

#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "api/client.h"
#include "cli/cli.h"
#include "cli/daemon_launcher.h"
#include "cli/output.h"
#include "common/strings.h"

extern char** environ;

namespace ppcs::cli {
namespace {

// The first executable file named `program` in an absolute folder of $PATH (the system's folders
// when PATH is not set); empty when there is none. Never the current directory.
std::string findOnPath(const std::string& program) {
    const char* path = std::getenv("PATH");
    for (const auto& folder : split(path ? path : "/usr/local/bin:/usr/bin:/bin", ':')) {
        if (folder.empty() || folder.front() != '/') continue;
        std::string candidate = folder + "/" + program;
        struct stat info {};
        if (::stat(candidate.c_str(), &info) == 0 && S_ISREG(info.st_mode) && ::access(candidate.c_str(), X_OK) == 0)
            return candidate;
    }
    return "";
}

// Hands url to xdg-open and waits for it (it returns once the browser has the URL).
Status openInBrowser(const std::string& url) {
    std::string opener = findOnPath("xdg-open");
    if (opener.empty())
        return makeError(ErrorCode::unavailable,
                         "cannot open a browser: xdg-open is not installed (open the URL above yourself)");
    std::vector<char*> argv{const_cast<char*>(opener.c_str()), const_cast<char*>(url.c_str()), nullptr};
    pid_t pid = 0;
    if (int failed = ::posix_spawn(&pid, opener.c_str(), nullptr, nullptr, argv.data(), environ); failed != 0)
        return makeError(ErrorCode::failed, "cannot open a browser: start " + opener + " failed");
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return makeError(ErrorCode::failed, "cannot open a browser: xdg-open failed (open the URL above yourself)");
    return {};
}

int runDashboard(const GlobalOptions& global, bool open) {
    auto endpoint = ensureDaemon(global.stateDir);
    if (!endpoint) return reportError(endpoint.error());
    auto code = api::ApiClient(*endpoint).dashboardCode();
    if (!code) return reportError(code.error());
    std::string url = "http://127.0.0.1:" + std::to_string(endpoint->port) + "/login?code=" + code->code;
    if (global.json)
        std::printf("{\"url\":\"%s\",\"expires_seconds\":%d}\n", url.c_str(), code->expiresSeconds);
    else
        std::printf("%s\n(a one-time link: it works once, within %d s)\n", url.c_str(), code->expiresSeconds);
    std::fflush(stdout);
    if (!open) return 0;
    if (auto opened = openInBrowser(url); !opened) return reportError(opened.error());
    return 0;
}

}  // namespace

void addDashboardCommand(CLI::App& app, const GlobalOptions& global, Action& action) {
    auto open = std::make_shared<bool>(false);
    auto* dashboard = app.add_subcommand("dashboard", "Print a one-time login link to ppcsd's web dashboard");
    dashboard->add_flag("--open", *open, "Also open it in the browser (xdg-open)");
    dashboard->callback([&global, &action, open] { action = [&global, open] { return runDashboard(global, *open); }; });
}

}  // namespace ppcs::cli
