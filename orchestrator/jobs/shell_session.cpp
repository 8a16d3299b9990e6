#include "jobs/shell_session.h"

#include <chrono>
#include <deque>
#include <thread>

#include "cluster/spec.h"
#include "common/log.h"
#include "common/token.h"
#include "docker/exec_demux.h"

namespace ppcs::jobs {
namespace {

constexpr const char* kSessionVariable = "PPCS_SHELL_SESSION";
constexpr std::size_t kReadChunk = 16 * 1024;

class ExecShell final : public ShellProcess {
public:
    ExecShell(std::shared_ptr<docker::Engine> engine, std::string containerId, std::string execId, std::string sessionId,
              bool tty, std::unique_ptr<docker::ByteStream> stream)
        : engine_(std::move(engine)),
          containerId_(std::move(containerId)),
          execId_(std::move(execId)),
          sessionId_(std::move(sessionId)),
          tty_(tty),
          stream_(std::move(stream)) {}

    ~ExecShell() override { stream_->close(); }

    Result<std::optional<ShellOutput>> readOutput() override {
        std::string chunk(kReadChunk, '\0');
        while (pending_.empty()) {
            auto got = stream_->read(chunk.data(), chunk.size());
            if (!got) return got.error();
            if (*got == 0) return std::optional<ShellOutput>();
            std::string_view piece(chunk.data(), *got);
            if (tty_) return std::optional<ShellOutput>(ShellOutput{false, std::string(piece)});
            auto fed = demuxer_.feed(piece, [this](docker::OutputStream which, std::string_view bytes) {
                pending_.push_back(ShellOutput{which == docker::OutputStream::err, std::string(bytes)});
                return true;
            });
            if (!fed) return fed.error().context("read the session's output");
        }
        ShellOutput next = std::move(pending_.front());
        pending_.pop_front();
        return std::optional<ShellOutput>(std::move(next));
    }

    Status writeInput(std::string_view bytes) override { return stream_->write(bytes); }
    void closeInput() override { stream_->closeWrite(); }
    Status resize(int cols, int rows) override { return engine_->resizeExec(execId_, cols, rows); }
    Result<int> exitCode() override { return engine_->execExitCode(execId_); }

    void abandon() override {
        stream_->close();
        // As mpiuser, whose processes these are: containers lack CAP_SYS_PTRACE, without which
        // root cannot read another user's /proc/PID/environ.
        auto swept =
            engine_->runExec(containerId_, {sessionSweepArgv(sessionId_), cluster::kMpiUser, {}, ""}, std::chrono::seconds(20));
        if (!swept)
            log::warn("shell session " + sessionId_.substr(0, 8) + ": could not end its processes: " + swept.error().message);
    }

private:
    std::shared_ptr<docker::Engine> engine_;
    std::string containerId_;
    std::string execId_;
    std::string sessionId_;
    bool tty_;
    std::unique_ptr<docker::ByteStream> stream_;
    docker::ExecDemuxer demuxer_;
    std::deque<ShellOutput> pending_;
};

// The engine may refuse a resize until the exec's process has started: a few tries, as Docker's
// own CLI does.
Status initialSize(docker::Engine& engine, const std::string& execId, int cols, int rows) {
    Status resized;
    for (int attempt = 0; attempt < 10; ++attempt) {
        resized = engine.resizeExec(execId, cols, rows);
        if (resized) return resized;
        std::this_thread::sleep_for(std::chrono::milliseconds(10 * (attempt + 1)));
    }
    return resized;
}

}  // namespace

std::vector<std::string> shellEnvironment(const ShellRequest& request, const std::string& sessionId) {
    return {"HOME=/home/mpiuser",
            "USER=" + std::string(cluster::kMpiUser),
            "LOGNAME=" + std::string(cluster::kMpiUser),
            "SHELL=/bin/bash",
            "TERM=" + (request.term.empty() ? std::string("xterm") : request.term),
            "PPCS_CLUSTER=" + request.cluster,
            std::string(kSessionVariable) + "=" + sessionId};
}

std::vector<std::string> sessionSweepArgv(const std::string& sessionId) {
    // Processes whose environment holds the marker: HUP first (a shell passes it to its jobs),
    // then KILL for whatever is left half a second later.
    static const std::string script = "m=\"" + std::string(kSessionVariable) +
                                      "=$1\"; "
                                      "marked() { for f in /proc/[0-9]*/environ; do "
                                      "if { tr '\\0' '\\n' < \"$f\"; } 2>/dev/null | grep -qxF \"$m\"; then p=${f#/proc/}; echo "
                                      "\"${p%/environ}\"; fi; done; }; "
                                      "for p in $(marked); do kill -HUP \"$p\" 2>/dev/null; done; sleep 0.5; "
                                      "for p in $(marked); do kill -KILL \"$p\" 2>/dev/null; done; true";
    return {"sh", "-c", script, "ppcs-sweep", sessionId};
}

Result<std::unique_ptr<ShellProcess>> openShell(std::shared_ptr<docker::Engine> engine, const std::string& containerId,
                                                const ShellRequest& request) {
    auto token = generateToken();
    if (!token) return token.error().context("open a shell");
    std::string sessionId = token->substr(0, 32);
    docker::ExecSpec spec;
    spec.cmd = request.command.empty() ? std::vector<std::string>{"/bin/bash", "--login"} : request.command;
    spec.user = cluster::kMpiUser;
    spec.env = shellEnvironment(request, sessionId);
    spec.workingDir = cluster::kSharedDir;
    spec.tty = request.tty;
    spec.attachStdin = request.attachStdin;
    auto execId = engine->createExec(containerId, spec);
    if (!execId) return execId.error().context("open a shell");
    // An exec that was created but never started runs nothing: no clean-up needed below.
    auto stream = engine->startExecAttached(*execId, request.tty);
    if (!stream) return stream.error().context("open a shell");
    auto shell = std::make_unique<ExecShell>(engine, containerId, *execId, sessionId, request.tty, std::move(*stream));
    if (request.tty && request.cols > 0 && request.rows > 0) {
        if (auto sized = initialSize(*engine, *execId, request.cols, request.rows); !sized) {
            shell->abandon();
            return sized.error().context("open a shell: set the terminal's size");
        }
    }
    return std::unique_ptr<ShellProcess>(std::move(shell));
}

}  // namespace ppcs::jobs
