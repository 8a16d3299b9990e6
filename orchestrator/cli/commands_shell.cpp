// `ppcs-cluster shell`: a login shell as mpiuser in a member's shared folder, or one command
// there, through ppcsd (see api/shell_protocol.h). The local terminal is raw while a remote TTY
// runs (Ctrl-C and the like travel as bytes) and restored on every way out; the remote status is
// the exit status.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <memory>
#include <optional>

#include "api/shell_client.h"
#include "cli/cli.h"
#include "cli/daemon_launcher.h"
#include "cli/output.h"
#include "cli/shell_command.h"
#include "model/cluster_spec.h"

namespace ppcs::cli {
namespace {

// Signals reach the loop through a pipe: the handler only writes the signal's number.
int gSignalPipe[2] = {-1, -1};

void onSignal(int signal) {
    int saved = errno;
    unsigned char number = static_cast<unsigned char>(signal);
    (void)!::write(gSignalPipe[1], &number, 1);
    errno = saved;
}

constexpr int kForwardedSignals[] = {SIGWINCH, SIGINT, SIGTERM, SIGHUP, SIGQUIT};

// Installs the handlers for the life of this object, the previous ones back afterwards.
class SignalPipe {
public:
    SignalPipe() {
        if (::pipe2(gSignalPipe, O_CLOEXEC | O_NONBLOCK) != 0) gSignalPipe[0] = gSignalPipe[1] = -1;
        struct sigaction action {};
        action.sa_handler = onSignal;
        sigemptyset(&action.sa_mask);
        for (std::size_t i = 0; i < std::size(kForwardedSignals); ++i) ::sigaction(kForwardedSignals[i], &action, &previous_[i]);
        struct sigaction ignore {};
        ignore.sa_handler = SIG_IGN;
        ::sigaction(SIGPIPE, &ignore, &previousPipe_);
    }
    ~SignalPipe() {
        for (std::size_t i = 0; i < std::size(kForwardedSignals); ++i) ::sigaction(kForwardedSignals[i], &previous_[i], nullptr);
        ::sigaction(SIGPIPE, &previousPipe_, nullptr);
        ::close(gSignalPipe[0]);
        ::close(gSignalPipe[1]);
        gSignalPipe[0] = gSignalPipe[1] = -1;
    }
    SignalPipe(const SignalPipe&) = delete;
    SignalPipe& operator=(const SignalPipe&) = delete;
    int readEnd() const { return gSignalPipe[0]; }

private:
    struct sigaction previous_[std::size(kForwardedSignals)]{};
    struct sigaction previousPipe_ {};
};

// The terminal on fd in raw mode for the life of this object; its settings back afterwards,
// whichever way the session ends (signals end it through the loop, so this destructor runs).
class RawTerminal {
public:
    explicit RawTerminal(int fd) : fd_(fd) {
        if (::tcgetattr(fd_, &saved_) != 0) return;
        termios raw = saved_;
        ::cfmakeraw(&raw);
        // TCSANOW, not TCSAFLUSH: what the user typed ahead while the session opened is kept.
        active_ = ::tcsetattr(fd_, TCSANOW, &raw) == 0;
    }
    ~RawTerminal() {
        if (active_) ::tcsetattr(fd_, TCSAFLUSH, &saved_);
    }
    RawTerminal(const RawTerminal&) = delete;
    RawTerminal& operator=(const RawTerminal&) = delete;

private:
    int fd_;
    termios saved_{};
    bool active_ = false;
};

bool plainTerm(const std::string& term) {
    return !term.empty() && term.size() <= 64 &&
           term.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.+-_") == std::string::npos;
}

LocalTerminal describeLocalTerminal() {
    LocalTerminal local;
    local.stdinIsTerminal = ::isatty(STDIN_FILENO) == 1;
    winsize size{};
    if (local.stdinIsTerminal && ::ioctl(STDIN_FILENO, TIOCGWINSZ, &size) == 0) {
        local.cols = size.ws_col;
        local.rows = size.ws_row;
    }
    const char* term = std::getenv("TERM");
    if (term && plainTerm(term)) local.term = term;
    return local;
}

void writeAll(int fd, std::string_view bytes) {
    while (!bytes.empty()) {
        ssize_t written = ::write(fd, bytes.data(), bytes.size());
        if (written < 0 && errno == EINTR) continue;
        if (written <= 0) return;  // a closed stdout: the output has nowhere to go
        bytes.remove_prefix(static_cast<std::size_t>(written));
    }
}

// How the loop ended: the remote exit status, or ours.
struct Ending {
    int status = 0;
    std::string failure;  // said after the terminal is restored
};

class ShellLoop {
public:
    ShellLoop(api::ShellConnection& connection, bool forwardInput, bool tty, int signalFd)
        : connection_(connection), forwardInput_(forwardInput), tty_(tty), signalFd_(signalFd) {}

    Ending run() {
        if (auto early = connection_.takeEarly(); !early.empty())
            if (auto ended = handleBytes(early)) return *ended;
        char chunk[16 * 1024];
        while (true) {
            pollfd fds[3] = {
                {connection_.socket(), POLLIN, 0}, {signalFd_, POLLIN, 0}, {forwardInput_ ? STDIN_FILENO : -1, POLLIN, 0}};
            if (::poll(fds, 3, -1) < 0) {
                if (errno == EINTR) continue;
                return Ending{kExitFailure, std::string("poll: ") + std::strerror(errno)};
            }
            if (fds[1].revents & POLLIN)
                if (auto ended = handleSignals()) return *ended;
            if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
                ssize_t got = ::recv(connection_.socket(), chunk, sizeof chunk, 0);
                if (got < 0 && errno == EINTR) continue;
                if (got <= 0) return Ending{kExitFailure, "ppcsd closed the session before it ended (see its log)"};
                if (auto ended = handleBytes(std::string_view(chunk, static_cast<std::size_t>(got)))) return *ended;
            }
            if (fds[2].revents & (POLLIN | POLLHUP | POLLERR))
                if (auto ended = forwardStdin(chunk, sizeof chunk)) return *ended;
        }
    }

private:
    std::optional<Ending> handleBytes(std::string_view bytes) {
        auto frames = decoder_.feed(bytes);
        if (!frames) return Ending{kExitFailure, "ppcsd sent a bad frame: " + frames.error().message};
        for (const auto& frame : *frames) {
            switch (frame.type) {
                case api::FrameType::output:
                    writeAll(STDOUT_FILENO, frame.payload);
                    break;
                case api::FrameType::errorOutput:
                    writeAll(STDERR_FILENO, frame.payload);
                    break;
                case api::FrameType::exit:
                    return Ending{api::exitStatusOf(frame), ""};
                case api::FrameType::failure:
                    return Ending{kExitFailure, "shell: " + frame.payload};
                default:
                    return Ending{kExitFailure, "ppcsd sent a frame only clients send"};
            }
        }
        return std::nullopt;
    }

    std::optional<Ending> handleSignals() {
        unsigned char numbers[32];
        ssize_t got = ::read(signalFd_, numbers, sizeof numbers);
        for (ssize_t i = 0; i < got; ++i) {
            int signal = numbers[i];
            if (signal == SIGWINCH) {
                winsize size{};
                if (tty_ && ::ioctl(STDIN_FILENO, TIOCGWINSZ, &size) == 0)
                    (void)connection_.send(api::encodeResizeFrame(size.ws_col, size.ws_row));
                continue;
            }
            // Closing the connection makes ppcsd end the session's processes.
            return Ending{128 + signal, ""};
        }
        return std::nullopt;
    }

    std::optional<Ending> forwardStdin(char* chunk, std::size_t size) {
        ssize_t got = ::read(STDIN_FILENO, chunk, size);
        if (got < 0 && (errno == EINTR || errno == EAGAIN)) return std::nullopt;
        if (got <= 0) {
            forwardInput_ = false;
            if (!connection_.send(api::encodeFrame(api::FrameType::inputEnd, "")))
                return Ending{kExitFailure, "the connection to ppcsd broke"};
            return std::nullopt;
        }
        if (!connection_.send(api::encodeFrame(api::FrameType::input, std::string_view(chunk, static_cast<std::size_t>(got)))))
            return Ending{kExitFailure, "the connection to ppcsd broke"};
        return std::nullopt;
    }

    api::ShellConnection& connection_;
    bool forwardInput_;
    bool tty_;
    int signalFd_;
    api::FrameDecoder decoder_;
};

int runShell(const GlobalOptions& global, const ShellOptions& options) {
    auto local = describeLocalTerminal();
    auto request = makeShellRequest(options, global.runCommandGiven, global.runWords, local);
    if (!request) return reportError(request.error());
    auto endpoint = ensureDaemon(global.stateDir);
    if (!endpoint) return reportError(endpoint.error());
    SignalPipe signals;
    auto connection = api::openShellConnection(*endpoint, *request);
    if (!connection) return reportError(connection.error());
    Ending ending;
    {
        std::unique_ptr<RawTerminal> raw;
        if (request->tty) raw = std::make_unique<RawTerminal>(STDIN_FILENO);
        ending = ShellLoop(**connection, request->attachStdin, request->tty, signals.readEnd()).run();
    }
    if (!ending.failure.empty()) return reportError(makeError(ErrorCode::failed, ending.failure));
    return ending.status;
}

}  // namespace

Result<model::ShellRequest> makeShellRequest(const ShellOptions& options, bool commandGiven,
                                             const std::vector<std::string>& words, const LocalTerminal& local) {
    model::ShellRequest request;
    request.cluster = options.name;
    if (options.nodeGiven && (options.node < 1 || options.node > 99999))
        return makeError(ErrorCode::usage, "--node must be a node's number from 1 to 99999 (see `ppcs-cluster status`)");
    request.node = options.nodeGiven ? options.node : 0;
    if (commandGiven && words.empty()) return makeError(ErrorCode::usage, "shell -- needs a command");
    request.command = words;
    request.tty = request.command.empty() && local.stdinIsTerminal;
    request.attachStdin = !local.stdinIsTerminal || request.tty;
    if (request.tty) {
        request.cols = std::min(local.cols, model::kMaxTerminalSide);
        request.rows = std::min(local.rows, model::kMaxTerminalSide);
    }
    request.term = plainTerm(local.term) ? local.term : "";
    if (auto valid = model::validateShellRequest(request); !valid) return valid.error();
    return request;
}

void addShellCommand(CLI::App& app, const GlobalOptions& global, Action& action) {
    auto options = std::make_shared<ShellOptions>();
    options->name = model::kDefaultClusterName;
    auto* shell = app.add_subcommand(
        "shell", "A login shell as mpiuser in the head's shared folder (or node K's), or -- CMD [ARGS...] run there");
    addClusterNameOption(shell, options->name);
    auto* node = shell->add_option("--node", options->node, "A node's number, as in `status` (default: the head)");
    shell->callback([&global, &action, options, node] {
        options->nodeGiven = node->count() > 0;
        action = [&global, options] { return runShell(global, *options); };
    });
}

}  // namespace ppcs::cli
