#include "integration/web_driver.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <httplib.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

namespace ppcs::integration {
namespace {

using nlohmann::json;

constexpr const char* kChromedriver = "/usr/bin/chromedriver";
constexpr const char* kChromium = "/usr/bin/chromium";
constexpr const char* kElementKey = "element-6066-11e4-a52e-4f735466cecf";  // W3C WebDriver's element reference

// A loopback port nothing listens on right now.
int freePort() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0);
    ::close(fd);
    return ntohs(address.sin_port);
}

// Starts argv with stdout and stderr into logPath; its pid.
pid_t spawn(const std::vector<std::string>& argv, const std::string& logPath) {
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        int log = ::open(logPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (log >= 0) {
            ::dup2(log, STDOUT_FILENO);
            ::dup2(log, STDERR_FILENO);
        }
        std::vector<char*> args;
        for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
        args.push_back(nullptr);
        ::execv(args[0], args.data());
        ::_exit(127);
    }
    return pid;
}

// The pids of root's descendants (children, their children, ...), from /proc.
std::vector<pid_t> descendants(pid_t root) {
    std::multimap<pid_t, pid_t> children;
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
        std::string name = entry.path().filename();
        if (name.find_first_not_of("0123456789") != std::string::npos) continue;
        std::ifstream stat(entry.path() / "stat");
        std::string line;
        if (!std::getline(stat, line)) continue;
        auto close = line.rfind(')');
        if (close == std::string::npos) continue;
        std::istringstream fields(line.substr(close + 2));
        char state;
        pid_t parent = 0;
        fields >> state >> parent;
        children.emplace(parent, std::stoi(name));
    }
    std::vector<pid_t> found;
    std::vector<pid_t> pending{root};
    while (!pending.empty()) {
        pid_t parent = pending.back();
        pending.pop_back();
        for (auto [it, end] = children.equal_range(parent); it != end; ++it) {
            found.push_back(it->second);
            pending.push_back(it->second);
        }
    }
    return found;
}

// The pids whose command line names path: Chromium's crash handler detaches from its parent,
// but names the profile folder (this session's own) in its arguments.
std::vector<pid_t> naming(const std::string& path) {
    std::vector<pid_t> found;
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
        std::string name = entry.path().filename();
        if (name.find_first_not_of("0123456789") != std::string::npos) continue;
        std::ifstream cmdline(entry.path() / "cmdline", std::ios::binary);
        std::string text((std::istreambuf_iterator<char>(cmdline)), std::istreambuf_iterator<char>());
        if (text.find(path) != std::string::npos) found.push_back(std::stoi(name));
    }
    return found;
}

bool alive(pid_t pid) { return ::kill(pid, 0) == 0; }

}  // namespace

BrowserSession::BrowserSession() {
    char pattern[] = "/tmp/ppcs-it-browser-XXXXXX";
    REQUIRE(::mkdtemp(pattern) != nullptr);
    scratch_ = pattern;
    int port = freePort();
    driver_ = spawn({kChromedriver, "--port=" + std::to_string(port), "--allowed-ips=127.0.0.1"}, scratch_ + "/chromedriver.log");
    client_ = std::make_unique<httplib::Client>("127.0.0.1", port);
    client_->set_read_timeout(60, 0);
    bool ready = false;
    for (int i = 0; i < 100 && !ready; ++i) {
        auto status = client_->Get("/status");
        ready = status && status->status == 200 &&
                json::parse(status->body, nullptr, false).value("/value/ready"_json_pointer, false);
        if (!ready) std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    INFO("chromedriver did not answer within 20 s (log in " << scratch_ << ")");
    REQUIRE(ready);
    // Every host name but 127.0.0.1 fails to resolve, and background services are off: the
    // browser has nothing to reach but ppcsd.
    json chromeArgs = {"--headless=new",
                       "--no-sandbox",
                       "--disable-gpu",
                       "--disable-dev-shm-usage",
                       "--user-data-dir=" + scratch_ + "/profile",
                       "--window-size=1280,900",
                       "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
                       "--disable-background-networking",
                       "--disable-component-update",
                       "--disable-sync",
                       "--no-first-run",
                       "--no-default-browser-check"};
    json capabilities = {
        {"capabilities",
         {{"alwaysMatch", {{"browserName", "chrome"}, {"goog:chromeOptions", {{"binary", kChromium}, {"args", chromeArgs}}}}}}}};
    auto created = command("POST", "/session", capabilities);
    session_ = created.value("sessionId", "");
    INFO("no session: " << created.dump());
    REQUIRE_FALSE(session_.empty());
}

BrowserSession::~BrowserSession() {
    if (!session_.empty() && client_) client_->Delete(("/session/" + session_).c_str());  // quits Chromium
    stopProcesses();
    std::error_code ignored;
    std::filesystem::remove_all(scratch_, ignored);
}

// Chromium and its helpers first (chromedriver's descendants, and what names this session's
// profile), then chromedriver; each asked to end, then killed after 5 s. Only the pids started
// here and their descendants are touched.
void BrowserSession::stopProcesses() {
    if (driver_ <= 0) return;
    std::vector<pid_t> started = descendants(driver_);
    for (pid_t pid : naming(scratch_ + "/profile"))
        if (std::find(started.begin(), started.end(), pid) == started.end() && pid != ::getpid()) started.push_back(pid);
    for (pid_t pid : started) ::kill(pid, SIGTERM);
    ::kill(driver_, SIGTERM);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    bool driverReaped = false;
    while (std::chrono::steady_clock::now() < deadline) {
        driverReaped = driverReaped || ::waitpid(driver_, nullptr, WNOHANG) == driver_;
        bool any = !driverReaped;
        for (pid_t pid : started) any = any || alive(pid);
        if (!any) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    for (pid_t pid : started)
        if (alive(pid)) ::kill(pid, SIGKILL);
    if (!driverReaped) {
        ::kill(driver_, SIGKILL);
        ::waitpid(driver_, nullptr, 0);
    }
    driver_ = -1;
}

std::optional<json> BrowserSession::tryPost(const std::string& path, const json& body) {
    auto reply = client_->Post(path.c_str(), body.is_null() ? "{}" : body.dump(), "application/json");
    if (!reply || reply->status != 200) return std::nullopt;
    json parsed = json::parse(reply->body, nullptr, false);
    if (!parsed.is_object()) return std::nullopt;
    return parsed.value("value", json());
}

json BrowserSession::command(const std::string& method, const std::string& path, const json& body) {
    httplib::Result reply = method == "GET" ? client_->Get(path.c_str())
                            : method == "POST"
                                ? client_->Post(path.c_str(), body.is_null() ? "{}" : body.dump(), "application/json")
                                : client_->Delete(path.c_str());
    INFO("WebDriver " << method << " " << path << ": no reply");
    REQUIRE(reply);
    json parsed = json::parse(reply->body, nullptr, false);
    INFO("WebDriver " << method << " " << path << ": " << reply->status << " " << reply->body.substr(0, 2000));
    REQUIRE(reply->status == 200);
    REQUIRE(parsed.is_object());
    return parsed.value("value", json());
}

void BrowserSession::navigate(const std::string& url) { command("POST", "/session/" + session_ + "/url", {{"url", url}}); }

std::string BrowserSession::currentUrl() { return command("GET", "/session/" + session_ + "/url").get<std::string>(); }

json BrowserSession::execute(const std::string& script, const json& args) {
    return command("POST", "/session/" + session_ + "/execute/sync", {{"script", script}, {"args", args}});
}

bool BrowserSession::waitFor(const std::string& script, std::chrono::milliseconds bound) {
    auto deadline = std::chrono::steady_clock::now() + bound;
    for (;;) {
        if (execute(script) == json(true)) return true;
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
}

bool BrowserSession::click(const std::string& css, std::chrono::milliseconds bound) {
    auto deadline = std::chrono::steady_clock::now() + bound;
    for (;;) {
        auto found = tryPost("/session/" + session_ + "/element", {{"using", "css selector"}, {"value", css}});
        std::string element = found ? found->value(kElementKey, "") : "";
        if (!element.empty() && tryPost("/session/" + session_ + "/element/" + element + "/click", json::object())) return true;
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
}

json BrowserSession::cookies() { return command("GET", "/session/" + session_ + "/cookie"); }

std::size_t BrowserSession::screenshot(const std::string& path) {
    std::string png = base64Decode(command("GET", "/session/" + session_ + "/screenshot").get<std::string>());
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    std::ofstream(path, std::ios::binary) << png;
    return png.size();
}

std::string base64Decode(const std::string& text) {
    auto value = [](char c) -> int {
        if (c >= 'A' && c <= 'Z') return c - 'A';
        if (c >= 'a' && c <= 'z') return c - 'a' + 26;
        if (c >= '0' && c <= '9') return c - '0' + 52;
        if (c == '+') return 62;
        if (c == '/') return 63;
        return -1;
    };
    std::string out;
    unsigned buffer = 0;
    int bits = 0;
    for (char c : text) {
        if (c == '=') break;
        int v = value(c);
        if (v < 0) return "";
        buffer = (buffer << 6) | static_cast<unsigned>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((buffer >> bits) & 0xff));
        }
    }
    return out;
}

}  // namespace ppcs::integration
