#pragma once
// ppcsd's web dashboard, served by the API's own server (api/server.h installs it): the login
// page that trades a one-time code for a session cookie (api/dashboard_auth.h), the page itself
// (api/dashboard_assets.h) and the JSON and server-sent events it reads. No business logic:
// every answer comes from DaemonServices, as the API's do.
//
//   GET /login?code=C                 the session cookie and a page that goes on to /dashboard/; 403
//                                     otherwise
//   GET /dashboard/ (app.js, app.css) the page
//   GET /dashboard/api/clusters       [ClusterStatus | {"name", "error"}] of every cluster
//   GET /dashboard/api/jobs           the queue: running, queued, recent (as GET /v1/queue)
//   GET /dashboard/api/jobs/ID/events the job's events as text/event-stream (as /v1/jobs/ID/follow)
//   GET /dashboard/api/bench          [{"name", "bytes", "modified"}] of the saved plots
//   GET /dashboard/bench/FILE.svg     one plot
//   GET /dashboard/api/stats/NAME     the cluster's stats (as GET /v1/clusters/NAME/stats)
//
// Everything under /dashboard needs the session cookie or the API token; /login needs neither
// (its code is its check). Every reply carries Content-Security-Policy default-src 'self'.

#include <memory>
#include <string>

#include "api/dashboard_auth.h"
#include "api/messages.h"
#include "common/result.h"

namespace httplib {
struct Request;
struct Response;
}  // namespace httplib

namespace ppcs::api {

class DaemonServices;
class GuardedHttpServer;
class StreamSlots;

// True for /dashboard and every path under /dashboard/.
bool isDashboardPath(const std::string& path);
// The headers every dashboard reply carries (its refusals too): the page's Content-Security-Policy,
// nosniff, no referrer, no caching.
void secureDashboardReply(httplib::Response& response);
inline constexpr const char* kLoginPath = "/login";
// Job output streams open at once in browsers: their own slots, so that tabs left open can never
// take the ones `run`, `logs -f` and `up` need.
inline constexpr std::size_t kMaxDashboardStreams = 8;

class Dashboard {
public:
    // heartbeat: how often a silent job output stream sends a comment line (as the API's streams).
    Dashboard(DaemonServices& services, std::chrono::milliseconds heartbeat, SteadyNow now = std::chrono::steady_clock::now);
    ~Dashboard();

    // The session cookie's name follows the port ppcsd listens on (sessionCookieName).
    void setPort(int port) { cookieName_ = sessionCookieName(port); }
    void install(GuardedHttpServer& server);
    // A new one-time login code (POST /v1/dashboard/code, behind the API token).
    Result<DashboardCode> mintCode();
    // Whether a request without the API token may pass: to /login always, under /dashboard with
    // the cookie of a live session.
    bool admits(const httplib::Request& request);

private:
    void installPages(GuardedHttpServer& server);
    void installData(GuardedHttpServer& server);

    DaemonServices& services_;
    std::unique_ptr<StreamSlots> streams_;
    ExpiringSecrets codes_;
    ExpiringSecrets sessions_;
    std::string cookieName_ = sessionCookieName(0);
};

}  // namespace ppcs::api
