#include "api/dashboard_server.h"

#include <httplib.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "api/bench_messages.h"
#include "api/cluster_messages.h"
#include "api/dashboard_assets.h"
#include "api/event_stream.h"
#include "api/http_server.h"
#include "api/job_messages.h"
#include "api/json_fields.h"
#include "api/server.h"
#include "common/log.h"

namespace ppcs::api {
namespace {

using nlohmann::json;

constexpr const char* kHtml = "text/html; charset=utf-8";
constexpr const char* kJsonType = "application/json";
constexpr std::size_t kMaxListedClusters = 64;

// What every dashboard reply carries: the page may load only its own script, style and images,
// may not be framed, and nothing is cached (the replies are live data or behind a session).
constexpr const char* kPagePolicy = "default-src 'self'; frame-ancestors 'none'; base-uri 'none'";
// A bench plot is only an image: it may run nothing and load nothing.
constexpr const char* kPlotPolicy = "default-src 'none'; style-src 'unsafe-inline'";

void secure(httplib::Response& response, const char* policy = kPagePolicy) {
    response.set_header("Content-Security-Policy", policy);
    response.set_header("X-Content-Type-Options", "nosniff");
    response.set_header("Referrer-Policy", "no-referrer");
    response.set_header("Cache-Control", "no-store");
}

// A page without script: a heading and one sentence (and what else its head needs).
std::string notice(const std::string& title, const std::string& text, const std::string& head = "") {
    return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">" + head + "<title>ppcs: " + title +
           "</title></head>\n<body><h1>" + title + "</h1><p>" + text + "</p></body></html>\n";
}

void answerJson(httplib::Response& response, const Result<std::string>& body) {
    secure(response);
    if (!body) return replyError(response, body.error());
    response.set_content(*body, kJsonType);
}

}  // namespace

bool isDashboardPath(const std::string& path) { return path == "/dashboard" || path.rfind("/dashboard/", 0) == 0; }

void secureDashboardReply(httplib::Response& response) { secure(response); }

Dashboard::Dashboard(DaemonServices& services, std::chrono::milliseconds heartbeat, SteadyNow now)
    : services_(services),
      streams_(std::make_unique<StreamSlots>(kMaxDashboardStreams, heartbeat)),
      codes_(kLoginCodeLifetime, kMaxLoginCodes, now),
      sessions_(kSessionLifetime, kMaxSessions, now) {}

Dashboard::~Dashboard() = default;

Result<DashboardCode> Dashboard::mintCode() {
    auto code = codes_.issue();
    if (!code) return code.error();
    return DashboardCode{*code, static_cast<int>(codes_.lifetime().count())};
}

bool Dashboard::admits(const httplib::Request& request) {
    if (request.path == kLoginPath) return true;
    if (!isDashboardPath(request.path)) return false;
    auto sessions = cookieValues(request.get_header_value("Cookie"), cookieName_);
    return std::any_of(sessions.begin(), sessions.end(), [this](const std::string& session) { return sessions_.holds(session); });
}

void Dashboard::install(GuardedHttpServer& server) {
    installPages(server);
    installData(server);
}

void Dashboard::installPages(GuardedHttpServer& server) {
    server.Get(kLoginPath, [this](const httplib::Request& request, httplib::Response& response) {
        secure(response);
        // A query with two different codes is refused: which one was meant is not clear.
        bool one = request.get_param_value_count("code") == 1;
        if (!one || !codes_.redeem(request.get_param_value("code"))) {
            response.status = 403;
            response.set_content(notice("Login refused",
                                        "This login link is wrong, has expired or was already used. "
                                        "Run <code>ppcs-cluster dashboard</code> for a new one."),
                                 kHtml);
            return;
        }
        auto session = sessions_.issue();
        if (!session) {
            response.status = 500;
            response.set_content(notice("Login failed", "ppcsd could not open a session."), kHtml);
            log::error("dashboard login: " + session.error().message);
            return;
        }
        // Not a redirect: a link followed from another site (a web terminal, a chat) makes a
        // cross-site navigation, and the browser would withhold the SameSite=Strict cookie from
        // where a redirect leads. The page's own refresh is a navigation from this site: the
        // cookie goes with it, and the code leaves the address bar.
        response.set_header("Set-Cookie", sessionCookie(cookieName_, *session, sessions_.lifetime()));
        response.set_content(notice("Logged in", "On to the <a href=\"/dashboard/\">dashboard</a>.",
                                    "<meta http-equiv=\"refresh\" content=\"0;url=/dashboard/\">"),
                             kHtml);
    });
    server.Get("/dashboard", [](const httplib::Request&, httplib::Response& response) {
        secure(response);
        response.status = 303;
        response.set_header("Location", "/dashboard/");
    });
    auto asset = [](const char* content, const char* type) {
        return [content, type](const httplib::Request&, httplib::Response& response) {
            secure(response);
            response.set_content(content, type);
        };
    };
    server.Get("/dashboard/", asset(kDashboardHtml, kHtml));
    server.Get("/dashboard/app.js", asset(kDashboardScript, "text/javascript; charset=utf-8"));
    server.Get("/dashboard/app.css", asset(kDashboardStyle, "text/css; charset=utf-8"));
}

void Dashboard::installData(GuardedHttpServer& server) {
    server.Get("/dashboard/api/clusters", [this](const httplib::Request&, httplib::Response& response) {
        auto names = services_.listClusters();
        if (!names) return answerJson(response, names.error());
        std::string list = "[";
        for (std::size_t i = 0; i < names->size() && i < kMaxListedClusters; ++i) {
            auto status = services_.clusterStatus(names->at(i));
            list += (i ? "," : "") + (status ? encodeClusterStatus(*status)
                                             : fields::dumpJson(json{{"name", names->at(i)}, {"error", status.error().message}}));
        }
        answerJson(response, list + "]");
    });
    server.Get("/dashboard/api/jobs", [this](const httplib::Request&, httplib::Response& response) {
        auto jobs = services_.jobQueue("");
        answerJson(response, jobs ? Result<std::string>(encodeJobList(*jobs)) : Result<std::string>(jobs.error()));
    });
    server.Get(R"(/dashboard/api/jobs/(\d{1,18})/events)", [this](const httplib::Request& request, httplib::Response& response) {
        secure(response);
        std::int64_t id = std::stoll(request.matches[1]);
        streamOperation(
            response, *streams_, "dashboard job " + std::to_string(id),
            [this, id](const model::Progress& events, const ClientProbe& clientPresent) -> Result<std::string> {
                auto outcome = services_.followJob(id, events, clientPresent);
                if (!outcome) return outcome.error();
                return encodeJobOutcome(*outcome);
            },
            StreamFormat::serverSentEvents);
    });
    server.Get(R"(/dashboard/api/stats/([^/]+))", [this](const httplib::Request& request, httplib::Response& response) {
        std::string name = request.matches[1];
        if (auto valid = model::validateClusterName(name); !valid) return answerJson(response, valid.error());
        auto stats = services_.clusterStats(name);
        answerJson(response, stats ? Result<std::string>(encodeClusterStats(name, *stats)) : Result<std::string>(stats.error()));
    });
    server.Get("/dashboard/api/bench", [this](const httplib::Request&, httplib::Response& response) {
        auto plots = services_.benchPlots();
        if (!plots) return answerJson(response, plots.error());
        json list = json::array();
        for (const auto& plot : *plots)
            list.push_back({{"name", plot.name}, {"bytes", plot.bytes}, {"modified", plot.modifiedUnixSeconds}});
        answerJson(response, list.dump());
    });
    server.Get(R"(/dashboard/bench/([^/]+))", [this](const httplib::Request& request, httplib::Response& response) {
        auto plot = services_.benchPlot(request.matches[1]);
        secure(response, kPlotPolicy);
        if (!plot) return replyError(response, plot.error());
        response.set_content(*plot, "image/svg+xml");
    });
}

}  // namespace ppcs::api
