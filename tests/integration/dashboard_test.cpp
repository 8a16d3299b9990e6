// The web dashboard in a real browser (headless Chromium through chromedriver) against a real
// 3-node cluster: the login link from `ppcs-cluster dashboard`, the clusters, a job's live output,
// a bench plot and the stats; refused codes; the session cookie hidden from scripts. A PNG of
// each page is saved under build/screenshots/.

#include <httplib.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/files.h"
#include "common/strings.h"
#include "integration/cluster_fixture.h"
#include "integration/support.h"
#include "integration/web_driver.h"
#include "model/cluster_spec.h"
#include "support/test_paths.h"

using namespace ppcs;
using namespace ppcs::integration;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

// The status of a plain GET (no cookie) of url, which starts with "http://127.0.0.1:PORT".
int statusOf(const std::string& url) {
    auto pathStart = url.find('/', std::string("http://").size());
    httplib::Client client(url.substr(0, pathStart));
    auto reply = client.Get(url.substr(pathStart).c_str());
    return reply ? reply->status : -1;
}

std::string screenshotPath(const std::string& name) { return ppcs::testing::buildDir() + "/screenshots/" + name + ".png"; }

void saveScreenshot(BrowserSession& browser, const std::string& name) {
    auto bytes = browser.screenshot(screenshotPath(name));
    INFO("screenshot " << name);
    CHECK(bytes > 1000);
}

// A JavaScript expression quoted as a string literal.
std::string quoted(const std::string& text) { return json(text).dump(); }

}  // namespace

TEST_CASE("dashboard: a login link then clusters and live job output and a bench plot and stats in headless Chromium",
          "[docker]") {
    auto engine = requireEngine();
    ensureNodeImage();
    ClusterFixture fixture("dash");
    const std::string name = fixture.cluster();
    auto up = fixture.cli({"up", "--nodes", "3", "--name", name});
    INFO("up: " << up.err);
    REQUIRE(up.exitCode == 0);
    // A real bench result: a short latency ping-pong, whose plot ppcsd saves in its state directory.
    auto bench = fixture.cli({"bench", "latency", "--name", name, "--max-size", "1024", "--iterations", "20"}, 300);
    INFO("bench: " << bench.err);
    REQUIRE(bench.exitCode == 0);

    auto link = fixture.cli({"--json", "dashboard"});
    INFO("dashboard: " << link.err);
    REQUIRE(link.exitCode == 0);
    auto reply = json::parse(link.out);
    const std::string url = reply.at("url");
    const std::string origin = url.substr(0, url.find("/login?code="));
    REQUIRE(origin.rfind("http://127.0.0.1:", 0) == 0);
    CHECK(reply.at("expires_seconds") == 120);
    auto token = readFile(fixture.stateDir() + "/token");  // the link carries no API token
    REQUIRE(token);
    CHECK(url.find(std::string(trim(*token))) == std::string::npos);

    BrowserSession browser;
    // The link: logged in, on the dashboard, the code gone from the address bar.
    browser.navigate(url);
    CHECK(browser.waitFor("return location.pathname === '/dashboard/';", 10s));
    std::string landed = browser.currentUrl();
    CHECK(landed.find("code=") == std::string::npos);
    CHECK(landed.rfind(origin + "/dashboard/", 0) == 0);

    // The session cookie is there (WebDriver sees it) but hidden from the page's scripts.
    bool sessionCookie = false;
    for (const auto& cookie : browser.cookies())
        if (cookie.value("name", "").rfind("ppcs_session_", 0) == 0) {
            sessionCookie = true;
            CHECK(cookie.value("httpOnly", false));
            CHECK(cookie.value("sameSite", "") == "Strict");
        }
    CHECK(sessionCookie);
    CHECK(browser.execute("return document.cookie;").get<std::string>().find("ppcs_session") == std::string::npos);

    // Clusters: the cluster with 4 ready members.
    {
        std::string count = "document.querySelector('[data-cluster=" + quoted(name) + "] .ready-count')";
        CHECK(
            browser.waitFor("const c = " + count + "; return !!c && c.dataset.ready === '4' && c.dataset.members === '4';", 30s));
        CHECK(browser.execute("return document.querySelectorAll('[data-cluster=" + quoted(name) + "] tr.member').length;") == 4);
        saveScreenshot(browser, "clusters");
    }

    // Jobs: a run from the CLI shows up with its output as it comes. The job prints two lines,
    // then waits (bounded) for a file in its folder, which the test makes once the page has shown
    // them: the rest comes only then, whatever the machine's load.
    {
        pid_t run = fixture.spawn({"run", "--name", name, "-n", "1", "--", "sh", "-c",
                                   "echo dash-line-1; echo dash-line-2; i=0; "
                                   "while [ ! -e gate ] && [ $i -lt 240 ]; do sleep 0.5; i=$((i+1)); done; "
                                   "for i in 3 4 5 6 7 8 9 10; do echo dash-line-$i; done"});
        browser.execute("location.hash = '#jobs';");
        const std::string running = "document.querySelector('#jobs tbody tr[data-job-id] td.state-running')";
        REQUIRE(browser.waitFor("return !!" + running + ";", 30s));
        auto id = browser.execute("return " + running + ".parentElement.dataset.jobId;").get<std::string>();
        CHECK(browser.click("#jobs tbody tr[data-job-id=\"" + id + "\"]", 10s));
        CHECK(browser.waitFor("return location.hash === '#jobs/" + id + "';", 5s));
        // Live: an early line is on the page while later ones are not printed yet.
        bool early = browser.waitFor("return document.getElementById('job-output').textContent.includes('dash-line-2');", 60s);
        if (!early) saveScreenshot(browser, "jobs-no-output");
        INFO("job output: " << browser.execute("return document.getElementById('job-output').textContent;").dump());
        INFO("stream: " << browser.execute("return document.getElementById('job-stream-state').textContent;").dump());
        REQUIRE(early);
        CHECK_FALSE(browser.execute("return document.getElementById('job-output').textContent.includes('dash-line-3');") == true);
        saveScreenshot(browser, "jobs");
        auto heads = engine.listContainers({{"ppcs.cluster", name}, {"ppcs.role", "head"}}, false);
        REQUIRE(heads);
        REQUIRE(heads->size() == 1);
        execIn(engine, heads->front().id, {"touch", std::string(model::kSharedDir) + "/jobs/" + id + "/gate"});
        CHECK(browser.waitFor("return document.getElementById('job-stream-state').textContent.startsWith('ended: finished');",
                              40s));
        auto output = browser.execute("return document.getElementById('job-output').textContent;").get<std::string>();
        for (int i = 1; i <= 10; ++i) CHECK(output.find("dash-line-" + std::to_string(i) + "\n") != std::string::npos);
        CHECK(waitFor(run, 60) == 0);
    }

    // Bench: the saved plot is listed and shown.
    {
        browser.execute("location.hash = '#bench';");
        CHECK(browser.waitFor(
            "return document.querySelectorAll('#bench-list a[data-plot^=" + quoted(name + "-") + "]').length === 1;", 15s));
        CHECK(browser.waitFor(
            "const i = document.getElementById('bench-plot'); return !i.hidden && i.complete && i.naturalWidth > 0;", 15s));
        saveScreenshot(browser, "bench");
    }

    // Stats: a CPU and a memory chart for each member, sampled again and again.
    {
        browser.execute("location.hash = '#stats/' + arguments[0];", json::array({name}));
        CHECK(
            browser.waitFor("const charts = document.querySelectorAll('#stats-charts .member-chart');"
                            "return charts.length === 4 && [...charts].every((c) => c.querySelectorAll('polyline').length "
                            "=== 2 && c.querySelector('polyline').getAttribute('points').split(' ').length >= 2);",
                            60s));
        saveScreenshot(browser, "stats");
    }

    // A used code and a wrong one are refused with 403.
    {
        CHECK(statusOf(url) == 403);
        CHECK(statusOf(origin + "/login?code=" + std::string(64, '0')) == 403);
        browser.navigate(url);
        CHECK(browser.execute("return document.title;") == "ppcs: Login refused");
        browser.navigate(origin + "/login?code=wrong");
        CHECK(browser.execute("return document.title;") == "ppcs: Login refused");
        saveScreenshot(browser, "login-refused");
        // Without a session, the page's data is closed to anyone.
        CHECK(statusOf(origin + "/dashboard/api/clusters") == 401);
    }
}
