#pragma once
// The ssh side of an ssh:// engine (model/endpoint.h): one ssh process per connection, running
// `docker system dial-stdio` on the engine's host, as the docker CLI does; the engine's HTTP goes
// over the process's standard input and output, which are one end of a socket pair (the transport
// holds the other end, so half-closing works as on a socket). No Beast here: the transport
// (beast_transport.cpp) speaks HTTP over the socket.
//
// ssh never prompts (BatchMode: no password, no passphrase, no "accept this host key?"); host keys
// are checked as ssh's configuration says, so an unknown or changed host key fails the connection.
// A connection that fails gives one line with what ssh said on its standard error.

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "model/endpoint.h"

namespace ppcs::docker {

// The argv that reaches endpoint's engine (endpoint.kind ssh), program first:
//   PROGRAM -o BatchMode=yes -o ConnectTimeout=S -o ServerAliveInterval=15 -o ServerAliveCountMax=3
//           -o LogLevel=ERROR -T -x -a [-i KEY -o IdentitiesOnly=yes] [-o UserKnownHostsFile=FILE]
//           [-l USER] [-p PORT] -- HOST docker system dial-stdio
// connectTimeout: how long ssh may take to connect (at least 1 s). Keep-alives end a connection
// whose host stopped answering within about 45 s.
std::vector<std::string> sshArgv(const model::EngineEndpoint& endpoint, std::chrono::seconds connectTimeout,
                                 const std::string& program = "ssh");

// Fails, naming the file, when endpoint's ssh key or known_hosts file cannot be read (ssh would
// only warn and then fail to log in, or refuse the host).
Status checkSshFiles(const model::EngineEndpoint& endpoint);

// A running ssh (or any program given as argv[0], found on PATH): its standard input and output
// are one end of a socket pair, its standard error an in-memory file. It runs in a session of its
// own (no terminal to prompt on) with default signal handling. The destructor ends it (SIGTERM,
// then SIGKILL) and always reaps it.
class SshProcess {
public:
    // An error when the pair or the process cannot be made (argv[0] missing: exit status 127,
    // reported by failure()).
    static Result<std::unique_ptr<SshProcess>> start(const std::vector<std::string>& argv);
    ~SshProcess();
    SshProcess(const SshProcess&) = delete;
    SshProcess& operator=(const SshProcess&) = delete;

    // The caller's end of the pair, handed over once (-1 after).
    int takeSocket();
    pid_t pid() const { return pid_; }
    // Why the connection ended, in one line, after waiting up to grace for ssh to exit: what it
    // wrote on standard error (lines joined by "; ") and how it exited; empty when it is still
    // running and said nothing.
    std::string failure(std::chrono::milliseconds grace);
    // Whether it has exited (reaped here; a process that exited is never waited for twice).
    bool exited();

private:
    SshProcess(pid_t pid, int socket, int errors) : pid_(pid), socket_(socket), errors_(errors) {}
    std::string errorText() const;

    pid_t pid_;
    int socket_;
    int errors_;  // memfd: ssh's standard error
    bool reaped_ = false;
    int status_ = 0;  // waitpid's, once reaped
};

// Bounds how many of a transport's ssh connections are being set up at once: sshd drops new
// connections beyond its MaxStartups (10 unauthenticated at once by default), and ppcsd asks for a
// cluster's stats, for example, dozens at a time. A slot is held from starting ssh until the
// engine's reply header arrives (ssh has logged in by then); a slot outlives its SshStartSlots.
class SshStartSlots {
    struct State;

public:
    explicit SshStartSlots(int count);
    // Gives its slot back when destroyed.
    class Slot {
    public:
        explicit Slot(std::shared_ptr<State> state) : state_(std::move(state)) {}
        ~Slot();
        Slot(const Slot&) = delete;
        Slot& operator=(const Slot&) = delete;

    private:
        std::shared_ptr<State> state_;
    };
    // A slot, waiting up to limit for one; nullptr when none was given back in time.
    std::unique_ptr<Slot> acquire(std::chrono::seconds limit);

private:
    std::shared_ptr<State> state_;
};

}  // namespace ppcs::docker
