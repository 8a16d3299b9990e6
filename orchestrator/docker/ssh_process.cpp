#include "docker/ssh_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>

#include "common/strings.h"

extern char** environ;

namespace ppcs::docker {
namespace {

constexpr std::size_t kErrorTail = 2048;  // the end of ssh's standard error is what says why
constexpr auto kTermGrace = std::chrono::seconds(2);
// ssh ends within a few milliseconds of SIGTERM: short steps keep that off every request's time.
constexpr auto kPollStep = std::chrono::milliseconds(2);

Error systemError(const std::string& what, int error) { return makeError(ErrorCode::failed, what + ": " + std::strerror(error)); }

std::string exitDescription(int status) {
    if (WIFEXITED(status)) {
        if (WEXITSTATUS(status) == 127) return "ssh could not be run (exit status 127: is openssh-client installed?)";
        return "ssh exit status " + std::to_string(WEXITSTATUS(status));
    }
    if (WIFSIGNALED(status)) return std::string("ssh killed by ") + strsignal(WTERMSIG(status));
    return "ssh ended";
}

// Standard input and output on the child's end of the pair, standard error on the memfd, and
// nothing else: not every descriptor of ppcsd is close-on-exec (Asio's sockets are not), and an ssh
// that lives as long as a shell session must not hold ppcsd's listening socket or another
// connection open.
Status spawnActions(posix_spawn_file_actions_t& actions, int childEnd, int errors) {
    int failed = posix_spawn_file_actions_adddup2(&actions, childEnd, 0);
    if (failed == 0) failed = posix_spawn_file_actions_adddup2(&actions, childEnd, 1);
    if (failed == 0) failed = posix_spawn_file_actions_adddup2(&actions, errors, 2);
    if (failed == 0) failed = posix_spawn_file_actions_addclosefrom_np(&actions, 3);
    if (failed != 0) return systemError("prepare ssh's standard streams", failed);
    return {};
}

// A session of its own (no terminal, away from the caller's Ctrl-C), no blocked signals (ppcsd
// blocks its shutdown signals in every thread) and SIGPIPE back to its default.
Status spawnAttributes(posix_spawnattr_t& attributes) {
    sigset_t none;
    sigemptyset(&none);
    sigset_t defaults;
    sigemptyset(&defaults);
    for (int signal : {SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGCHLD}) sigaddset(&defaults, signal);
    int failed = posix_spawnattr_setsigmask(&attributes, &none);
    if (failed == 0) failed = posix_spawnattr_setsigdefault(&attributes, &defaults);
    if (failed == 0)
        failed = posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    if (failed != 0) return systemError("prepare ssh's process attributes", failed);
    return {};
}

Result<pid_t> spawn(const std::vector<std::string>& argv, int childEnd, int errors) {
    std::vector<char*> args;
    for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attributes;
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attributes);
    Status prepared = spawnActions(actions, childEnd, errors);
    if (prepared) prepared = spawnAttributes(attributes);
    pid_t pid = -1;
    int failed = prepared ? posix_spawnp(&pid, args[0], &actions, &attributes, args.data(), environ) : 0;
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    if (!prepared) return prepared.error();
    if (failed != 0) return systemError("cannot run " + argv[0], failed);
    return pid;
}

}  // namespace

std::vector<std::string> sshArgv(const model::EngineEndpoint& endpoint, std::chrono::seconds connectTimeout,
                                 const std::string& program) {
    long seconds = std::max<long>(1, static_cast<long>(connectTimeout.count()));
    std::vector<std::string> argv{program,
                                  "-o",
                                  "BatchMode=yes",
                                  "-o",
                                  "ConnectTimeout=" + std::to_string(seconds),
                                  "-o",
                                  "ServerAliveInterval=15",
                                  "-o",
                                  "ServerAliveCountMax=3",
                                  "-o",
                                  "LogLevel=ERROR",
                                  "-T",
                                  "-x",
                                  "-a"};
    if (!endpoint.ssh.identityFile.empty())
        for (std::string arg :
             {std::string("-i"), endpoint.ssh.identityFile, std::string("-o"), std::string("IdentitiesOnly=yes")})
            argv.push_back(arg);
    if (!endpoint.ssh.knownHostsFile.empty()) {
        argv.push_back("-o");
        argv.push_back("UserKnownHostsFile=" + endpoint.ssh.knownHostsFile);
    }
    if (!endpoint.user.empty()) {
        argv.push_back("-l");
        argv.push_back(endpoint.user);
    }
    if (endpoint.port != 0) {
        argv.push_back("-p");
        argv.push_back(std::to_string(endpoint.port));
    }
    for (std::string arg :
         {std::string("--"), endpoint.host, std::string("docker"), std::string("system"), std::string("dial-stdio")})
        argv.push_back(arg);
    return argv;
}

Status checkSshFiles(const model::EngineEndpoint& endpoint) {
    for (auto [file, what] :
         {std::pair{&endpoint.ssh.identityFile, "ssh key"}, {&endpoint.ssh.knownHostsFile, "known_hosts file"}}) {
        if (file->empty()) continue;
        int opened = ::open(file->c_str(), O_RDONLY | O_CLOEXEC);
        if (opened < 0) return systemError(std::string("cannot read the ") + what + " " + *file, errno);
        ::close(opened);
    }
    return {};
}

Result<std::unique_ptr<SshProcess>> SshProcess::start(const std::vector<std::string>& argv) {
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) return systemError("make ssh's socket pair", errno);
    int errors = ::memfd_create("ppcs-ssh-stderr", MFD_CLOEXEC);
    if (errors < 0) {
        int error = errno;
        ::close(pair[0]);
        ::close(pair[1]);
        return systemError("make ssh's error file", error);
    }
    auto pid = spawn(argv, pair[1], errors);
    ::close(pair[1]);
    if (!pid) {
        ::close(pair[0]);
        ::close(errors);
        return pid.error();
    }
    return std::unique_ptr<SshProcess>(new SshProcess(*pid, pair[0], errors));
}

SshProcess::~SshProcess() {
    if (socket_ >= 0) ::close(socket_);
    if (!exited()) {
        ::kill(pid_, SIGTERM);
        auto deadline = std::chrono::steady_clock::now() + kTermGrace;
        while (!exited() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(kPollStep);
        if (!reaped_) {
            ::kill(pid_, SIGKILL);
            while (::waitpid(pid_, &status_, 0) < 0 && errno == EINTR) {
            }
            reaped_ = true;
        }
    }
    ::close(errors_);
}

int SshProcess::takeSocket() {
    int socket = socket_;
    socket_ = -1;
    return socket;
}

bool SshProcess::exited() {
    if (reaped_) return true;
    pid_t done = ::waitpid(pid_, &status_, WNOHANG);
    // ECHILD: someone else reaped it; it is gone all the same.
    if (done == pid_ || (done < 0 && errno == ECHILD)) reaped_ = true;
    return reaped_;
}

std::string SshProcess::errorText() const {
    off_t size = ::lseek(errors_, 0, SEEK_END);
    if (size <= 0) return "";
    off_t from = size > static_cast<off_t>(kErrorTail) ? size - static_cast<off_t>(kErrorTail) : 0;
    std::string text(static_cast<std::size_t>(size - from), '\0');
    ssize_t got = ::pread(errors_, text.data(), text.size(), from);
    text.resize(got > 0 ? static_cast<std::size_t>(got) : 0);
    std::vector<std::string> lines;
    for (const auto& line : split(text, '\n'))
        if (auto kept = trim(line); !kept.empty()) lines.emplace_back(kept);
    std::string joined = join(lines, "; ");
    while (!joined.empty() && joined.back() == '.') joined.pop_back();
    return joined;
}

std::string SshProcess::failure(std::chrono::milliseconds grace) {
    auto deadline = std::chrono::steady_clock::now() + grace;
    while (!exited() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(kPollStep);
    std::string said = errorText();
    if (!reaped_) return said;
    std::string how = exitDescription(status_);
    return said.empty() ? how : said + " (" + how + ")";
}

struct SshStartSlots::State {
    std::mutex mutex;
    std::condition_variable freed;
    int free = 0;
};

SshStartSlots::SshStartSlots(int count) : state_(std::make_shared<State>()) { state_->free = count; }

SshStartSlots::Slot::~Slot() {
    {
        std::lock_guard<std::mutex> lock(state_->mutex);
        ++state_->free;
    }
    state_->freed.notify_one();
}

std::unique_ptr<SshStartSlots::Slot> SshStartSlots::acquire(std::chrono::seconds limit) {
    std::unique_lock<std::mutex> lock(state_->mutex);
    if (!state_->freed.wait_for(lock, limit, [this] { return state_->free > 0; })) return nullptr;
    --state_->free;
    return std::make_unique<Slot>(state_);
}

}  // namespace ppcs::docker
