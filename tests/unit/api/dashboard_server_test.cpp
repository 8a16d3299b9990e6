// The dashboard on a real ApiServer: the login code traded for a session cookie (once), what the
// cookie opens and what it does not, the page's security headers, bad input, the bench plots and
// a job's server-sent events, whose stream ends (and frees its thread) when the browser goes.

#include <httplib.h>

#include <atomic>
#include <catch2/catch.hpp>

#include "api/dashboard_auth.h"
#include "unit/api/running_server.h"

using namespace ppcs;
using namespace ppcs::api;
using namespace ppcs::api::fakes;

namespace {

class DashboardServices : public StubServices {
public:
    Result<std::vector<std::string>> listClusters() override { return std::vector<std::string>{"demo", "gone"}; }
    Result<model::ClusterStatus> clusterStatus(const std::string& name) override {
        if (name != "demo") return makeError(ErrorCode::notFound, "cluster '" + name + "' does not exist");
        model::ClusterStatus status;
        status.name = "demo";
        status.members = {model::Member{model::MemberRole::head, 0, "demo-head", "10.0.0.2", "running"},
                          model::Member{model::MemberRole::node, 1, "demo-node-1", "10.0.0.3", "running"}};
        status.members[0].ready = true;
        status.events = {"2026-12-07T04:00:00Z healed"};
        return status;
    }
    Result<std::vector<model::JobRecord>> jobQueue(const std::string&) override {
        model::JobRecord record;
        record.id = 7;
        record.cluster = "demo";
        record.program = "hello_world";
        return std::vector<model::JobRecord>{record};
    }
    Result<std::vector<jobs::BenchPlot>> benchPlots() override {
        return std::vector<jobs::BenchPlot>{jobs::BenchPlot{"demo-1.svg", 12, 1.5}};
    }
    Result<std::string> benchPlot(const std::string& name) override {
        if (name != "demo-1.svg") return makeError(ErrorCode::notFound, "no bench plot '" + name + "'");
        return std::string("<svg xmlns='http://www.w3.org/2000/svg'/>");
    }
    // Job 1 says two lines and ends; job 2 says one and then runs until its follower goes.
    Result<model::JobOutcome> followJob(std::int64_t id, const model::Progress& events,
                                        const std::function<bool()>& clientPresent) override {
        if (id != 1) following = true;
        events(model::Phase::standardOutput, "line one\n");
        if (id == 1) {
            events(model::Phase::standardOutput, "line two\n");
            return model::JobOutcome{1, 0, model::JobState::finished, "", 0.5};
        }
        for (int i = 0; i < 3000 && clientPresent(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
        following = false;
        abandoned = !clientPresent();
        return makeError(ErrorCode::failed, "follower gone");
    }
    std::atomic<bool> following{false};
    std::atomic<bool> abandoned{false};
};

// Trades a fresh code for a session: the Cookie header to send.
std::string logIn(RunningServer<DashboardServices>& running) {
    auto code = running.client().dashboardCode();
    REQUIRE(code);
    httplib::Client browser("127.0.0.1", running.port);
    auto login = browser.Get(("/login?code=" + code->code).c_str());
    REQUIRE(login);
    REQUIRE(login->status == 200);
    auto cookie = login->get_header_value("Set-Cookie");
    return cookie.substr(0, cookie.find(';'));
}

int statusOf(httplib::Client& client, const std::string& path, const std::string& cookie) {
    httplib::Headers headers;
    if (!cookie.empty()) headers.emplace("Cookie", cookie);
    auto reply = client.Get(path.c_str(), headers);
    return reply ? reply->status : -1;
}

}  // namespace

TEST_CASE("a login code is traded once for an HttpOnly session cookie and a page that goes on to the dashboard",
          "[dashboard][api]") {
    RunningServer<DashboardServices> running;
    httplib::Client browser("127.0.0.1", running.port);
    auto code = running.client().dashboardCode();
    REQUIRE(code);
    CHECK(code->expiresSeconds == 120);
    CHECK(code->code.size() == 64);
    // The code is minted only with the API token.
    CHECK(running.client("wrong-token").dashboardCode().error().code == ErrorCode::unauthorized);

    auto login = browser.Get(("/login?code=" + code->code).c_str());
    REQUIRE(login);
    // A page of this site that refreshes to the dashboard, not a redirect: a link followed from
    // another site would lose the SameSite=Strict cookie on a redirect.
    CHECK(login->status == 200);
    CHECK(login->get_header_value("Location").empty());
    CHECK(login->body.find("<meta http-equiv=\"refresh\" content=\"0;url=/dashboard/\">") != std::string::npos);
    auto cookie = login->get_header_value("Set-Cookie");
    INFO(cookie);
    CHECK(cookie.rfind(sessionCookieName(running.port) + "=", 0) == 0);
    CHECK(cookie.find("; HttpOnly") != std::string::npos);
    CHECK(cookie.find("; SameSite=Strict") != std::string::npos);
    CHECK(cookie.find("; Path=/") != std::string::npos);
    auto session = cookieValue(cookie.substr(0, cookie.find(';')), sessionCookieName(running.port));
    REQUIRE(session);
    CHECK(session->size() == 64);
    CHECK(*session != code->code);

    // The same code again, a wrong one, none, or two: 403 with a page that says why.
    auto reused = browser.Get(("/login?code=" + code->code).c_str());
    REQUIRE(reused);
    CHECK(reused->status == 403);
    CHECK(reused->get_header_value("Content-Type") == "text/html; charset=utf-8");
    CHECK(reused->body.find("wrong, has expired or was already used") != std::string::npos);
    CHECK(reused->get_header_value("Set-Cookie").empty());
    CHECK(statusOf(browser, "/login?code=" + std::string(64, 'a'), "") == 403);
    CHECK(statusOf(browser, "/login", "") == 403);
    auto second = running.client().dashboardCode();
    REQUIRE(second);
    CHECK(statusOf(browser, "/login?code=" + second->code + "&code=" + std::string(64, 'b'), "") == 403);
    CHECK(statusOf(browser, "/login?code=" + std::string(64, 'b') + "&code=" + second->code, "") == 403);
    // The session itself is no login code.
    CHECK(statusOf(browser, "/login?code=" + *session, "") == 403);
}

TEST_CASE("the session cookie opens the dashboard and nothing else, and the pages carry their CSP", "[dashboard][api]") {
    RunningServer<DashboardServices> running;
    httplib::Client browser("127.0.0.1", running.port);
    std::string cookie = logIn(running);

    auto page = browser.Get("/dashboard/", {{"Cookie", cookie}});
    REQUIRE(page);
    CHECK(page->status == 200);
    CHECK(page->get_header_value("Content-Type") == "text/html; charset=utf-8");
    CHECK(page->get_header_value("Content-Security-Policy").rfind("default-src 'self'", 0) == 0);
    CHECK(page->get_header_value("X-Content-Type-Options") == "nosniff");
    CHECK(page->body.find("<script src=\"/dashboard/app.js\"") != std::string::npos);
    CHECK(page->body.find("<script>") == std::string::npos);  // no inline script: the CSP would refuse it
    CHECK(statusOf(browser, "/dashboard/app.js", cookie) == 200);
    CHECK(statusOf(browser, "/dashboard/app.css", cookie) == 200);
    CHECK(statusOf(browser, "/dashboard", cookie) == 303);

    auto clusters = browser.Get("/dashboard/api/clusters", {{"Cookie", cookie}});
    REQUIRE(clusters);
    CHECK(clusters->status == 200);
    CHECK(clusters->body.find("\"hostname\":\"demo-node-1\"") != std::string::npos);
    CHECK(clusters->body.find("healed") != std::string::npos);
    CHECK(clusters->body.find(R"({"error":"cluster 'gone' does not exist","name":"gone"})") != std::string::npos);
    auto jobs = browser.Get("/dashboard/api/jobs", {{"Cookie", cookie}});
    REQUIRE(jobs);
    CHECK(jobs->body.find("\"program\":\"hello_world\"") != std::string::npos);

    // The API's routes still want the token.
    CHECK(statusOf(browser, "/v1/version", cookie) == 401);
    CHECK(statusOf(browser, "/v1/clusters", cookie) == 401);
    // The token opens the dashboard too, as it opens the API.
    auto withToken = browser.Get("/dashboard/api/jobs", running.auth());
    REQUIRE(withToken);
    CHECK(withToken->status == 200);
}

TEST_CASE("bad cookies, unknown paths and bad plot names are refused, and the server goes on", "[dashboard][api]") {
    RunningServer<DashboardServices> running;
    httplib::Client browser("127.0.0.1", running.port);
    std::string name = sessionCookieName(running.port);
    for (const std::string& bad :
         {std::string(), name + "=", name + "=garbage", name + "=" + std::string(64, '0'), name + "=" + std::string(7000, 'a'),
          std::string("x=1; ;;==;") + name, sessionCookieName(running.port + 1) + "=abc", std::string(300, ';')}) {
        INFO(bad.substr(0, 80));
        CHECK(statusOf(browser, "/dashboard/", bad) == 401);
        CHECK(statusOf(browser, "/dashboard/api/clusters", bad) == 401);
    }
    std::string cookie = logIn(running);
    CHECK(statusOf(browser, "/dashboard/nothing-here", cookie) == 404);
    CHECK(statusOf(browser, "/dashboard/api/nothing", cookie) == 404);
    CHECK(statusOf(browser, "/dashboard/api/jobs/abc/events", cookie) == 404);
    CHECK(statusOf(browser, "/dashboard/api/stats/Not_A_Name", cookie) == 400);
    // A cookie opens no path outside the dashboard: those still answer 401, not 404.
    CHECK(statusOf(browser, "/nothing", cookie) == 401);

    auto plots = browser.Get("/dashboard/api/bench", {{"Cookie", cookie}});
    REQUIRE(plots);
    CHECK(plots->body == R"([{"bytes":12,"modified":1.5,"name":"demo-1.svg"}])");
    auto plot = browser.Get("/dashboard/bench/demo-1.svg", {{"Cookie", cookie}});
    REQUIRE(plot);
    CHECK(plot->status == 200);
    CHECK(plot->get_header_value("Content-Type") == "image/svg+xml");
    CHECK(plot->get_header_value("Content-Security-Policy").rfind("default-src 'none'", 0) == 0);
    CHECK(statusOf(browser, "/dashboard/bench/other.svg", cookie) == 404);
    CHECK(statusOf(browser, "/dashboard/bench/..%2F..%2Ftoken", cookie) == 404);
    CHECK(statusOf(browser, "/dashboard/bench/../../token", cookie) != 200);

    // A header line over httplib's 8 KiB, and a header block over ppcsd's 16 KiB: refused (400, or
    // the connection closed unanswered), and the server serves on.
    httplib::Client huge("127.0.0.1", running.port);
    CHECK(statusOf(huge, "/dashboard/", name + "=" + std::string(10000, 'a')) == 400);
    CHECK(statusOf(huge, "/dashboard/" + std::string(40000, 'x'), cookie) == -1);
    CHECK(statusOf(browser, "/dashboard/", cookie) == 200);
}

TEST_CASE("a job's output streams as server-sent events, and a dropped stream ends its follower", "[dashboard][api]") {
    RunningServer<DashboardServices> running;
    httplib::Client browser("127.0.0.1", running.port);
    std::string cookie = logIn(running);

    auto ended = browser.Get("/dashboard/api/jobs/1/events", {{"Cookie", cookie}});
    REQUIRE(ended);
    CHECK(ended->status == 200);
    CHECK(ended->get_header_value("Content-Type") == "text/event-stream");
    CHECK(ended->body.find(R"(data: {"phase":"stdout","text":"line one\n","type":"progress"})"
                           "\n\n") != std::string::npos);
    CHECK(ended->body.find(R"(data: {"phase":"stdout","text":"line two\n","type":"progress"})") != std::string::npos);
    CHECK(ended->body.find(R"("type":"result")") != std::string::npos);
    CHECK(statusOf(browser, "/dashboard/api/jobs/1/events", "") == 401);

    // The browser reads the first event and goes away: the follower is told within a bound.
    std::string seen;
    httplib::Client leaving("127.0.0.1", running.port);
    leaving.Get("/dashboard/api/jobs/2/events", {{"Cookie", cookie}}, [&seen](const char* data, size_t length) {
        seen.append(data, length);
        return seen.find("line one") == std::string::npos;  // false: stop reading, close
    });
    CHECK(seen.find("line one") != std::string::npos);
    CHECK(waitUntil([&] { return !running.services.following.load(); }, std::chrono::seconds(10)));
    CHECK(running.services.abandoned.load());
    CHECK(statusOf(browser, "/dashboard/", cookie) == 200);
}
