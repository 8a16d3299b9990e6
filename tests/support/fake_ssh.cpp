// A stand-in for ssh in the ssh transport's unit tests: takes ssh's arguments and, as
// `docker system dial-stdio` would on the far side, connects its standard input and output to an
// engine — here a test's server on a unix socket. What it does comes from the environment:
//   FAKE_SSH_RECORD  a file it appends its pid, "fds" and its open descriptors, and then its
//                    arguments to, one a line, then "."
//   FAKE_SSH_MODE    relay (default): relay to the unix socket FAKE_SSH_SOCKET, passing each
//                    side's end of input on (shutdown), until both ends are done;
//                    refuse: say what ssh says for a refused key on standard error, exit 255;
//                    hang: never answer (sleep until killed).

#include <dirent.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>
#include <string>

namespace {

std::string variable(const char* name) {
    const char* value = std::getenv(name);
    return value == nullptr ? "" : value;
}

void record(int argc, char** argv) {
    std::string file = variable("FAKE_SSH_RECORD");
    if (file.empty()) return;
    FILE* out = std::fopen(file.c_str(), "a");
    if (out == nullptr) return;
    std::fprintf(out, "%d\n", static_cast<int>(::getpid()));
    std::set<int> open;
    if (DIR* fds = ::opendir("/proc/self/fd")) {
        while (dirent* entry = ::readdir(fds))
            if (entry->d_name[0] != '.' && std::atoi(entry->d_name) != ::dirfd(fds)) open.insert(std::atoi(entry->d_name));
        ::closedir(fds);
    }
    std::fprintf(out, "fds");
    for (int fd : open)
        if (fd != ::fileno(out)) std::fprintf(out, " %d", fd);
    std::fprintf(out, "\n");
    for (int i = 0; i < argc; ++i) std::fprintf(out, "%s\n", argv[i]);
    std::fprintf(out, ".\n");
    std::fclose(out);
}

int connectTo(const std::string& path) {
    int engine = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
    if (engine < 0 || ::connect(engine, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        std::fprintf(stderr, "fake ssh: cannot connect to %s: %s\n", path.c_str(), std::strerror(errno));
        std::exit(255);
    }
    return engine;
}

// Moves what from has into to; false at its end of input (passed on to `to` as a shutdown).
bool pass(int from, int to) {
    char buffer[65536];
    ssize_t got = ::read(from, buffer, sizeof buffer);
    if (got <= 0) {
        ::shutdown(to, SHUT_WR);
        return false;
    }
    for (ssize_t sent = 0; sent < got;) {
        ssize_t wrote = ::send(to, buffer + sent, static_cast<std::size_t>(got - sent), MSG_NOSIGNAL);
        if (wrote <= 0) return false;
        sent += wrote;
    }
    return true;
}

int relay(const std::string& path) {
    int engine = connectTo(path);
    bool input = true;
    bool output = true;
    while (input || output) {
        pollfd watched[2] = {{input ? 0 : -1, POLLIN, 0}, {output ? engine : -1, POLLIN, 0}};
        if (::poll(watched, 2, -1) < 0) return 255;
        if (watched[0].revents != 0) input = pass(0, engine);
        if (watched[1].revents != 0) output = pass(engine, 1);
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    record(argc, argv);
    std::string mode = variable("FAKE_SSH_MODE");
    if (mode == "refuse") {
        std::fprintf(stderr, "root@10.9.8.7: Permission denied (publickey).\n");
        return 255;
    }
    if (mode == "hang") {
        while (true) ::pause();
    }
    return relay(variable("FAKE_SSH_SOCKET"));
}
