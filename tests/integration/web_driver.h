#pragma once
// Headless Chromium driven through chromedriver's WebDriver HTTP API (W3C), for the dashboard's
// browser test. Chromedriver runs on a free loopback port of its own; Chromium (its child) runs
// headless, without sandbox (the tests run as root), with a profile in a temporary folder and
// every host name but 127.0.0.1 unresolvable, so that the browser reaches nothing but loopback.
// Both are ended by pid, with their children, when the session goes, pass or fail.

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace httplib {
class Client;
}

namespace ppcs::integration {

class BrowserSession {
public:
    // Starts chromedriver and a browser session; fails the test (saying why) when either does not
    // come up within its bound.
    BrowserSession();
    ~BrowserSession();
    BrowserSession(const BrowserSession&) = delete;
    BrowserSession& operator=(const BrowserSession&) = delete;

    void navigate(const std::string& url);
    std::string currentUrl();
    // Runs script in the page (its `return` value), with arguments.
    nlohmann::json execute(const std::string& script, const nlohmann::json& args = nlohmann::json::array());
    // Runs script every 250 ms until it returns true, at most bound; false when it never did.
    bool waitFor(const std::string& script, std::chrono::milliseconds bound);
    // Clicks (as a user would, through WebDriver) the first element matching a CSS selector,
    // trying again for a page that replaced it in between, at most bound; false when it never could.
    bool click(const std::string& css, std::chrono::milliseconds bound);
    // Every cookie the browser holds for the page, HttpOnly ones too (WebDriver sees them).
    nlohmann::json cookies();
    // A PNG of the viewport, written to path (its folders made); its size in bytes.
    std::size_t screenshot(const std::string& path);

private:
    nlohmann::json command(const std::string& method, const std::string& path, const nlohmann::json& body = nullptr);
    // A POST whose WebDriver error (no such element, stale element) gives nullopt instead of a failure.
    std::optional<nlohmann::json> tryPost(const std::string& path, const nlohmann::json& body);
    void stopProcesses();

    std::string scratch_;  // the profile and chromedriver's log
    pid_t driver_ = -1;
    std::unique_ptr<httplib::Client> client_;
    std::string session_;
};

// Standard base64 (RFC 4648, padding allowed, no line breaks) decoded; empty on bad input.
std::string base64Decode(const std::string& text);

}  // namespace ppcs::integration
