#include "api/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <list>
#include <mutex>
#include <thread>
#include <vector>

#include "common/guarded.h"
#include "common/log.h"

namespace ppcs::api {
namespace {

using Clock = std::chrono::steady_clock;

// Checks for a stop at least this often while a connection waits for its client.
constexpr std::chrono::milliseconds kStopCheck{100};

thread_local std::shared_ptr<Connection> threadConnection;

// Waits until the socket is ready for events, until deadline; false on timeout, error or stop.
bool waitUntil(int socket, short events, Clock::time_point deadline, const std::function<bool()>& stopping) {
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0 || stopping()) return false;
        pollfd ready{socket, events, 0};
        int result = ::poll(&ready, 1, static_cast<int>(std::min(left, kStopCheck).count()));
        if (result > 0) return true;
        if (result < 0 && errno != EINTR) return false;
    }
}

void describeAddress(const sockaddr_storage& address, std::string& ip, int& port) {
    char text[INET6_ADDRSTRLEN] = {};
    if (address.ss_family == AF_INET) {
        const auto& v4 = reinterpret_cast<const sockaddr_in&>(address);
        ::inet_ntop(AF_INET, &v4.sin_addr, text, sizeof text);
        port = ntohs(v4.sin_port);
    } else if (address.ss_family == AF_INET6) {
        const auto& v6 = reinterpret_cast<const sockaddr_in6&>(address);
        ::inet_ntop(AF_INET6, &v6.sin6_addr, text, sizeof text);
        port = ntohs(v6.sin6_port);
    }
    ip = text;
}

// httplib's Stream over one connection, reading through a buffer that the header guard fills
// first (httplib reads headers a byte at a time). Every read ends by one deadline for the whole
// request, not per recv, so trickling bytes cannot hold the connection's thread for long.
class GuardedStream final : public httplib::Stream {
public:
    GuardedStream(int socket, Clock::time_point readDeadline, std::chrono::microseconds writeTimeout,
                  std::function<bool()> stopping)
        : socket_(socket), readDeadline_(readDeadline), writeTimeout_(writeTimeout), stopping_(std::move(stopping)) {}

    // Reads until the buffer holds the end of the header block; false when the client closes,
    // sends more than maxBytes of headers, is not done by deadline, or the server stops.
    bool readHeaderBlock(Clock::time_point deadline, std::size_t maxBytes) {
        std::size_t searched = 0;
        while (buffer_.find("\r\n\r\n", searched) == std::string::npos) {
            if (buffer_.size() >= maxBytes) return false;
            searched = buffer_.size() < 3 ? 0 : buffer_.size() - 3;
            if (fill(deadline, maxBytes - buffer_.size()) <= 0) return false;
        }
        return true;
    }

    // What was read and not yet consumed: the header block and whatever followed it.
    std::string_view buffered() const { return std::string_view(buffer_).substr(position_); }

    bool is_readable() const override {
        return position_ < buffer_.size() || waitUntil(socket_, POLLIN, readDeadline_, stopping_);
    }
    // Writing ignores the stop: a reply under way is finished, each write within writeTimeout.
    bool is_writable() const override {
        return waitUntil(socket_, POLLOUT, Clock::now() + writeTimeout_, [] { return false; });
    }

    ssize_t read(char* ptr, size_t size) override {
        if (position_ == buffer_.size()) {
            buffer_.clear();
            position_ = 0;
            ssize_t got = fill(readDeadline_, kReadChunk);
            if (got <= 0) return got;
        }
        size_t count = std::min(size, buffer_.size() - position_);
        std::memcpy(ptr, buffer_.data() + position_, count);
        position_ += count;
        return static_cast<ssize_t>(count);
    }

    ssize_t write(const char* ptr, size_t size) override {
        if (!is_writable()) return -1;
        ssize_t sent;
        do sent = ::send(socket_, ptr, size, MSG_NOSIGNAL);
        while (sent < 0 && errno == EINTR);
        return sent;
    }

    void get_remote_ip_and_port(std::string& ip, int& port) const override { describe(::getpeername, ip, port); }
    void get_local_ip_and_port(std::string& ip, int& port) const override { describe(::getsockname, ip, port); }
    socket_t socket() const override { return socket_; }

private:
    static constexpr std::size_t kReadChunk = 4096;

    // One recv appended to the buffer once data arrives before deadline: its byte count, 0 when
    // the client closed, -1 on error, timeout or stop.
    ssize_t fill(Clock::time_point deadline, std::size_t most) {
        if (!waitUntil(socket_, POLLIN, deadline, stopping_)) return -1;
        std::size_t had = buffer_.size();
        buffer_.resize(had + std::min(most, kReadChunk));
        ssize_t got;
        do got = ::recv(socket_, buffer_.data() + had, buffer_.size() - had, 0);
        while (got < 0 && errno == EINTR);
        buffer_.resize(had + static_cast<std::size_t>(std::max<ssize_t>(got, 0)));
        return got;
    }

    void describe(int (*name)(int, sockaddr*, socklen_t*), std::string& ip, int& port) const {
        sockaddr_storage address{};
        socklen_t length = sizeof address;
        port = 0;
        if (name(socket_, reinterpret_cast<sockaddr*>(&address), &length) == 0) describeAddress(address, ip, port);
    }

    int socket_;
    Clock::time_point readDeadline_;
    std::chrono::microseconds writeTimeout_;
    std::function<bool()> stopping_;
    std::string buffer_;
    std::size_t position_ = 0;
};

// One thread per connection, at most maxThreads at once; further connections wait in order for
// a thread to finish its current one. Threads end when nothing waits and are joined by the next
// enqueue or by shutdown.
class ConnectionThreads final : public httplib::TaskQueue {
public:
    explicit ConnectionThreads(std::size_t maxThreads) : maxThreads_(std::max<std::size_t>(maxThreads, 1)) {}

    void enqueue(std::function<void()> task) override {
        std::lock_guard<std::mutex> lock(mutex_);
        joinFinished();
        waiting_.push_back(std::move(task));
        if (busy_ < maxThreads_) {
            // Counted once the thread exists: a thread that cannot be made leaves the task waiting
            // for a running one.
            threads_.emplace_back([this] { work(); });
            ++busy_;
        }
    }

    // Runs what still waits (a stopped server closes those connections at once), then joins.
    void shutdown() override {
        std::list<std::thread> threads;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            threads.swap(threads_);
        }
        for (auto& thread : threads) thread.join();
    }

private:
    void work() {
        for (;;) {
            std::function<void()> task;
            {
                std::lock_guard<std::mutex> lock(mutex_);
                if (waiting_.empty()) {
                    --busy_;
                    finished_.push_back(std::this_thread::get_id());
                    return;
                }
                task = std::move(waiting_.front());
                waiting_.pop_front();
            }
            // A connection's failure must not end ppcsd: httplib catches what routes throw, this
            // catches the rest (allocation failures in the connection's own code).
            runGuarded("connection", task);
        }
    }

    // Called with mutex_ held; the threads named in finished_ are past their last lock.
    void joinFinished() {
        for (auto id : finished_) {
            for (auto it = threads_.begin(); it != threads_.end(); ++it) {
                if (it->get_id() != id) continue;
                it->join();
                threads_.erase(it);
                break;
            }
        }
        finished_.clear();
    }

    std::size_t maxThreads_;
    std::mutex mutex_;
    std::deque<std::function<void()>> waiting_;
    std::list<std::thread> threads_;
    std::vector<std::thread::id> finished_;
    std::size_t busy_ = 0;
};

// Makes the connection visible to routes and content providers on this thread while it is served.
class ThreadConnectionScope {
public:
    explicit ThreadConnectionScope(std::shared_ptr<Connection> connection) { threadConnection = std::move(connection); }
    ~ThreadConnectionScope() {
        threadConnection->markClosed();
        threadConnection.reset();
    }
    ThreadConnectionScope(const ThreadConnectionScope&) = delete;
    ThreadConnectionScope& operator=(const ThreadConnectionScope&) = delete;
};

}  // namespace

bool Connection::peerGone() const {
    if (closed_) return true;
    pollfd probe{socket_, POLLIN | POLLRDHUP, 0};
    if (::poll(&probe, 1, 0) < 0) return false;
    if (probe.revents & (POLLHUP | POLLERR | POLLRDHUP | POLLNVAL)) return true;
    if (!(probe.revents & POLLIN)) return false;
    // Readable: either bytes the client sent after its request (still there) or end of stream.
    char byte;
    ssize_t peeked = ::recv(socket_, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return peeked == 0 || (peeked < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

std::shared_ptr<Connection> currentConnection() { return threadConnection; }

GuardedHttpServer::GuardedHttpServer(ConnectionLimits limits) : limits_(limits) {
    set_keep_alive_max_count(1);
    new_task_queue = [maxThreads = limits.maxThreads] { return new ConnectionThreads(maxThreads); };
}

// Replaces httplib's own (a keep-alive loop of process_request over its SocketStream): the
// header guard runs first, and one request is served per connection.
bool GuardedHttpServer::process_and_close_socket(socket_t sock) {
    auto accepted = Clock::now();
    // A streamed reply ends with small writes (its result line, then the last chunk): with Nagle's
    // algorithm the last one waits for the client's delayed ACK, about 40 ms on loopback, before
    // the client sees its reply end.
    int on = 1;
    ::setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    bool served = false;
    {
        ThreadConnectionScope scope(std::make_shared<Connection>(sock));
        auto writeTimeout = std::chrono::seconds(write_timeout_sec_) + std::chrono::microseconds(write_timeout_usec_);
        GuardedStream stream(sock, accepted + limits_.requestDeadline, writeTimeout, [this] { return stopping(); });
        if (stream.readHeaderBlock(accepted + limits_.headerDeadline, limits_.maxHeaderBytes)) {
            auto upgrade = upgradeHandler_ ? parseUpgradeRequest(stream.buffered()) : std::nullopt;
            if (upgrade) {
                upgrade->deadline = accepted + limits_.requestDeadline;
                upgradeHandler_(*upgrade, sock, [this] { return stopping(); });
                served = true;
            } else {
                bool connectionClosed = false;
                served = process_request(stream, true, connectionClosed, nullptr);
            }
        }
    }
    ::shutdown(sock, SHUT_RDWR);
    ::close(sock);
    return served;
}

}  // namespace ppcs::api
