// GET /metrics of a real ppcsd around an `up`, a `run` and a `down` of its own cluster: the
// values follow what happened, and the real output passes `promtool check metrics`.

#include <catch2/catch.hpp>
#include <map>
#include <sstream>

#include "api/client.h"
#include "common/files.h"
#include "common/strings.h"
#include "integration/cluster_fixture.h"
#include "integration/support.h"
#include "support/run_process.h"
#include "support/test_paths.h"

using namespace ppcs;
using namespace ppcs::integration;

namespace {

// A scrape with the read-only metrics token of the fixture's ppcsd.
std::string scrape(const ClusterFixture& fixture) {
    auto endpoint = api::readEndpoint(fixture.stateDir());
    REQUIRE(endpoint);
    auto token = readFile(fixture.stateDir() + "/" + api::kMetricsTokenFile);
    REQUIRE(token);
    endpoint->token = std::string(trim(*token));
    auto text = api::ApiClient(*endpoint).metrics();
    INFO((text ? "" : text.error().message));
    REQUIRE(text);
    return *text;
}

// Each sample line's series ("name{labels}") and value.
std::map<std::string, double> samples(const std::string& text) {
    std::map<std::string, double> found;
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
        if (line.empty() || line[0] == '#') continue;
        auto space = line.rfind(' ');
        found[line.substr(0, space)] = std::stod(line.substr(space + 1));
    }
    return found;
}

double valueOr0(const std::map<std::string, double>& found, const std::string& series) {
    auto it = found.find(series);
    return it == found.end() ? 0 : it->second;
}

}  // namespace

TEST_CASE("metrics: an up and a run are counted then a down and promtool accepts a real scrape", "[docker]") {
    auto engine = requireEngine();
    ensureNodeImage();
    ClusterFixture fixture("metrics");
    const std::string name = fixture.cluster();
    REQUIRE(fixture.cli({"jobs"}).exitCode == 0);  // starts the fixture's ppcsd
    auto before = samples(scrape(fixture));
    const std::string upsOk = "ppcs_up_duration_seconds_count{outcome=\"ok\"}";

    auto up = fixture.cli({"up", "--nodes", "2", "--name", name});
    INFO("up: " << up.err);
    REQUIRE(up.exitCode == 0);
    auto hello = fixture.run({"hello_world"});
    INFO("run: " << hello.err);
    REQUIRE(hello.exitCode == 0);

    std::string text = scrape(fixture);
    INFO(text);
    auto after = samples(text);
    CHECK(valueOr0(after, "ppcs_clusters") >= 1);
    CHECK(valueOr0(after, "ppcs_cluster_members{cluster=\"" + name + "\",state=\"ready\"}") == 3);
    CHECK(valueOr0(after, "ppcs_cluster_ready_slots{cluster=\"" + name + "\"}") >= 3);
    CHECK(valueOr0(after, upsOk) == valueOr0(before, upsOk) + 1);
    CHECK(valueOr0(after, "ppcs_jobs{state=\"finished\"}") == valueOr0(before, "ppcs_jobs{state=\"finished\"}") + 1);
    CHECK(valueOr0(after, "ppcs_job_duration_seconds_count{state=\"finished\"}") == 1);

    std::string saved = fixture.sources() + "/scrape.txt";
    REQUIRE(writePrivateFile(saved, text));
    auto check = testing::runProcess({testing::sourceDir() + "/tests/metrics/check_promtool.sh", "cat", saved});
    INFO("promtool: " << check.out << check.err);
    CHECK(check.exitCode == 0);

    auto down = fixture.cli({"down", "--name", name});
    INFO("down: " << down.err);
    REQUIRE(down.exitCode == 0);
    auto gone = samples(scrape(fixture));
    CHECK(gone.count("ppcs_cluster_ready_slots{cluster=\"" + name + "\"}") == 0);
}
