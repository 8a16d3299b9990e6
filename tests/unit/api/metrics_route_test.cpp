// GET /metrics on a real ApiServer: its text reply, and who may read it (the API token, or the
// read-only metrics token, which opens no other route).

#include <httplib.h>

#include <catch2/catch.hpp>

#include "api/operations.h"
#include "unit/api/running_server.h"

using namespace ppcs;

namespace {

class MetricsServices : public api::fakes::StubServices {
public:
    Result<std::string> metrics() override { return std::string("# HELP x y\n# TYPE x gauge\nx 1\n"); }
    Result<std::vector<std::string>> listClusters() override { return std::vector<std::string>{"demo"}; }
};

int statusOf(httplib::Client& client, const char* path, const std::string& token) {
    httplib::Headers headers;
    if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
    auto reply = client.Get(path, headers);
    return reply ? reply->status : -1;
}

}  // namespace

TEST_CASE("GET /metrics takes the API token or the metrics token, which opens no other route", "[metrics][api]") {
    api::fakes::RunningServer<MetricsServices> running({}, "metrics-secret");
    httplib::Client raw("127.0.0.1", running.port);
    auto reply = raw.Get("/metrics", running.auth());
    REQUIRE(reply);
    CHECK(reply->status == 200);
    CHECK(reply->body == "# HELP x y\n# TYPE x gauge\nx 1\n");
    CHECK(reply->get_header_value("Content-Type") == "text/plain; version=0.0.4; charset=utf-8");

    CHECK(statusOf(raw, "/metrics", "metrics-secret") == 200);
    CHECK(statusOf(raw, "/metrics?x=1", "metrics-secret") == 200);
    CHECK(statusOf(raw, "/metrics", "") == 401);
    CHECK(statusOf(raw, "/metrics", "wrong") == 401);
    CHECK(statusOf(raw, "/metrics", "metrics-secre") == 401);
    CHECK(statusOf(raw, "/v1/clusters", "metrics-secret") == 401);
    CHECK(statusOf(raw, "/v1/version", "metrics-secret") == 401);
    CHECK(statusOf(raw, "/metrics/", "metrics-secret") == 401);
    CHECK(statusOf(raw, "/v1/clusters", "good-token") == 200);
    auto post = raw.Post("/v1/daemon/stop", {{"Authorization", "Bearer metrics-secret"}}, "{}", "application/json");
    REQUIRE(post);
    CHECK(post->status == 401);
    CHECK(running.client("metrics-secret").metrics().value() == "# HELP x y\n# TYPE x gauge\nx 1\n");
    CHECK(running.client("metrics-secret").listClusters().error().code == ErrorCode::unauthorized);
}

TEST_CASE("without a metrics token only the API token opens /metrics", "[metrics][api]") {
    api::fakes::RunningServer<MetricsServices> running;
    httplib::Client raw("127.0.0.1", running.port);
    CHECK(statusOf(raw, "/metrics", "good-token") == 200);
    CHECK(statusOf(raw, "/metrics", "") == 401);
}
