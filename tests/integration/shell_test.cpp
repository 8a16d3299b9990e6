// `ppcs-cluster shell` end to end on a real 1-node cluster: commands with their output and exit
// status, an interactive shell driven through a pseudo-terminal (size, resize, mpirun on the
// cluster's hostfile, Ctrl-C, exit status), and a client killed mid-session.

#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "common/strings.h"
#include "integration/cluster_fixture.h"
#include "integration/support.h"
#include "support/test_paths.h"

using namespace ppcs;
using namespace ppcs::integration;

namespace {

using Clock = std::chrono::steady_clock;

// `ppcs-cluster shell ARGS...` on the slave side of a new pseudo-terminal of rows x cols.
class PtyShell {
public:
    PtyShell(const ClusterFixture& fixture, std::vector<std::string> args, int rows, int cols) {
        winsize size{};
        size.ws_row = static_cast<unsigned short>(rows);
        size.ws_col = static_cast<unsigned short>(cols);
        args.insert(args.begin(), {ppcs::testing::cliBinary(), "shell"});
        std::vector<char*> argv;
        for (auto& word : args) argv.push_back(word.data());
        argv.push_back(nullptr);
        std::string stateDir = fixture.stateDir();
        pid_ = ::forkpty(&master_, nullptr, nullptr, &size);
        REQUIRE(pid_ >= 0);
        if (pid_ == 0) {
            ::setenv("PPCS_STATE_DIR", stateDir.c_str(), 1);
            ::setenv("TERM", "xterm", 1);
            ::execv(argv[0], argv.data());
            ::_exit(127);
        }
    }
    ~PtyShell() {
        if (pid_ > 0 && !reaped_) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
        ::close(master_);
    }
    PtyShell(const PtyShell&) = delete;
    PtyShell& operator=(const PtyShell&) = delete;

    void type(const std::string& text) {
        REQUIRE(::write(master_, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
    }

    // Reads until the output since the last take() holds needle; false (saying what came) after
    // limitSeconds.
    bool waitFor(const std::string& needle, int limitSeconds) {
        bool found = read(needle, limitSeconds);
        if (!found) WARN("waited for '" << needle << "'; the terminal showed: " << seen_);
        return found;
    }
    bool read(const std::string& needle, int limitSeconds) {
        auto deadline = Clock::now() + std::chrono::seconds(limitSeconds);
        while (seen_.find(needle) == std::string::npos) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
            if (left <= 0) return false;
            pollfd ready{master_, POLLIN, 0};
            if (::poll(&ready, 1, static_cast<int>(std::min<long>(left, 200))) <= 0) continue;
            char chunk[4096];
            ssize_t got = ::read(master_, chunk, sizeof chunk);
            if (got <= 0) return seen_.find(needle) != std::string::npos;
            seen_.append(chunk, static_cast<std::size_t>(got));
        }
        return true;
    }
    // What was read since the last take.
    std::string take() { return std::exchange(seen_, ""); }

    void resize(int rows, int cols) {
        winsize size{};
        size.ws_row = static_cast<unsigned short>(rows);
        size.ws_col = static_cast<unsigned short>(cols);
        REQUIRE(::ioctl(master_, TIOCSWINSZ, &size) == 0);
    }

    // The CLI's exit status (128 + signal when killed), waiting at most limitSeconds.
    int exitStatus(int limitSeconds) {
        reaped_ = true;
        return integration::waitFor(pid_, limitSeconds);
    }
    void kill() {
        ::kill(pid_, SIGKILL);
        reaped_ = true;
        ::waitpid(pid_, nullptr, 0);
    }

private:
    pid_t pid_ = -1;
    int master_ = -1;
    bool reaped_ = false;
    std::string seen_;
};

// Count of lines of text holding needle.
std::size_t linesWith(const std::string& text, const std::string& needle) {
    std::size_t count = 0;
    for (const auto& line : split(text, '\n')) count += line.find(needle) != std::string::npos;
    return count;
}

}  // namespace

TEST_CASE("shell: commands, an interactive session on a pseudo-terminal, and a client killed mid-session", "[docker][backends]") {
    auto engine = requireEngine();
    ensureNodeImage();
    ClusterFixture fixture("shell");
    auto up = fixture.cli({"up", "--nodes", "1", "--name", fixture.cluster()});
    INFO("up: " << up.err);
    REQUIRE(up.exitCode == 0);
    const std::string head = fixture.cluster() + "-head";
    const std::string node = fixture.cluster() + "-node-1";

    // One command: its output, stdout and stderr apart, and its exit status.
    auto hostname = fixture.cli({"shell", "--name", fixture.cluster(), "--", "hostname"});
    INFO("shell -- hostname: " << hostname.err);
    CHECK(hostname.exitCode == 0);
    CHECK(hostname.out == head + "\n");
    CHECK(hostname.err.empty());
    auto five = fixture.cli({"shell", "--name", fixture.cluster(), "--", "sh", "-c", "echo out; echo err >&2; exit 5"});
    CHECK(five.exitCode == 5);
    CHECK(five.out == "out\n");
    CHECK(five.err == "err\n");
    auto where = fixture.cli({"shell", "--name", fixture.cluster(), "--node", "1", "--", "sh", "-c", "hostname; pwd; id -un"});
    CHECK(where.exitCode == 0);
    CHECK(lines(where.out) == std::vector<std::string>{node, "/usr/local/var/mpishare", "mpiuser"});
    auto noNode = fixture.cli({"shell", "--name", fixture.cluster(), "--node", "7", "--", "true"});
    CHECK(noNode.exitCode == 2);
    CHECK(noNode.err.find("has no node 7") != std::string::npos);

    {
        // An interactive shell follows the terminal, runs mpirun on the cluster, takes Ctrl-C and
        // returns its exit status.
        PtyShell shell(fixture, {"--name", fixture.cluster()}, 33, 101);
        REQUIRE(shell.waitFor("mpishare$ ", 60));  // bash's prompt: mpiuser in the shared folder
        shell.type("stty size; echo READY-$((1+1))\r");
        REQUIRE(shell.waitFor("READY-2", 60));
        CHECK(shell.take().find("33 101") != std::string::npos);

        shell.resize(40, 120);  // SIGWINCH to the CLI, which passes the new size on
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        shell.type("stty size; echo SIZED-$((2+2))\r");
        REQUIRE(shell.waitFor("SIZED-4", 30));
        CHECK(shell.take().find("40 120") != std::string::npos);

        shell.type("mpirun -n 2 hello_world; echo HELLO-$((3+3))\r");
        REQUIRE(shell.waitFor("HELLO-6", 120));
        auto hello = shell.take();
        INFO(hello);
        CHECK(linesWith(hello, "hello from rank 0 of 2") == 1);
        CHECK(linesWith(hello, "hello from rank 1 of 2") == 1);

        // No --hostfile: the cluster's own (Open MPI's default, through mpiuser's MCA file) puts
        // one rank on each member, over the overlay.
        shell.type("mpirun --map-by node -n 2 hostname; echo SPREAD-$((4+4))\r");
        REQUIRE(shell.waitFor("SPREAD-8", 120));
        auto spread = shell.take();
        INFO(spread);
        CHECK(linesWith(spread, head) >= 1);
        CHECK(linesWith(spread, node) >= 1);

        shell.type("sleep 30\r");
        REQUIRE(shell.waitFor("sleep 30", 10));
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        auto interrupted = Clock::now();
        shell.type("\x03");
        shell.type("echo AFTER-$((5+5))\r");
        // Had Ctrl-C not reached sleep, the echo would come only after its 30 s.
        REQUIRE(shell.waitFor("AFTER-10", 20));
        CHECK(Clock::now() - interrupted < std::chrono::seconds(20));

        shell.type("exit 3\r");
        CHECK(shell.exitStatus(30) == 3);
        CHECK(leftovers(engine, fixture.cluster()).empty());
    }

    {
        // A client killed mid-session leaves ppcsd answering and nothing of the session running.
        PtyShell shell(fixture, {"--name", fixture.cluster()}, 24, 80);
        REQUIRE(shell.waitFor("mpishare$ ", 60));
        shell.type("sleep 777\r");
        REQUIRE(shell.waitFor("sleep 777", 60));
        REQUIRE(waitForLeftovers(engine, fixture.cluster(), 2, 20));  // bash and sleep
        shell.kill();
        bool cleared = false;
        for (int poll = 0; poll < 50 && !cleared; ++poll) {
            cleared = leftovers(engine, fixture.cluster()).empty();
            if (!cleared) std::this_thread::sleep_for(std::chrono::milliseconds(400));
        }
        INFO(join(leftovers(engine, fixture.cluster()), "; "));
        CHECK(cleared);
        auto status = fixture.cli({"status", "--name", fixture.cluster()});
        CHECK(status.exitCode == 0);
        auto again = fixture.cli({"shell", "--name", fixture.cluster(), "--", "true"});
        CHECK(again.exitCode == 0);
    }
}
