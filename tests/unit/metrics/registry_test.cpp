// The metrics registry's text rendering (Prometheus text exposition format 0.0.4) and ppcsd's
// families.

#include "metrics/registry.h"

#include <catch2/catch.hpp>
#include <limits>

#include "metrics/ppcsd_metrics.h"

using namespace ppcs;
using namespace ppcs::metrics;

TEST_CASE("a family is rendered with its HELP and TYPE lines, a bare counter at zero", "[metrics]") {
    Registry registry;
    registry.declare("demo_total", Kind::counter, "Things done.");
    registry.declare("demo_level", Kind::gauge, "A level.");
    CHECK(registry.render() ==
          "# HELP demo_total Things done.\n# TYPE demo_total counter\ndemo_total 0\n"
          "# HELP demo_level A level.\n# TYPE demo_level gauge\n");
    registry.add("demo_total");
    registry.add("demo_total", {}, 2.5);
    registry.add("demo_total", {}, -7);  // a counter never goes down
    registry.set("demo_level", {{"pool", "a"}}, 3);
    CHECK(registry.render() ==
          "# HELP demo_total Things done.\n# TYPE demo_total counter\ndemo_total 3.5\n"
          "# HELP demo_level A level.\n# TYPE demo_level gauge\ndemo_level{pool=\"a\"} 3\n");
}

TEST_CASE("label values and help text are escaped", "[metrics]") {
    Registry registry;
    registry.declare("demo", Kind::gauge, "back\\slash and\nnewline \"quoted\"");
    registry.set("demo", {{"name", "a\"b\\c\nd"}, {"other", "x"}}, 1);
    CHECK(registry.render() ==
          "# HELP demo back\\\\slash and\\nnewline \"quoted\"\n# TYPE demo gauge\n"
          "demo{name=\"a\\\"b\\\\c\\nd\",other=\"x\"} 1\n");
    CHECK(escapeLabelValue("plain") == "plain");
}

TEST_CASE("a histogram has cumulative buckets, +Inf, _sum and _count", "[metrics]") {
    Registry registry;
    registry.declare("demo_seconds", Kind::histogram, "Durations.", {0.5, 1, 10});
    CHECK(registry.render() ==
          "# HELP demo_seconds Durations.\n# TYPE demo_seconds histogram\n"
          "demo_seconds_bucket{le=\"0.5\"} 0\ndemo_seconds_bucket{le=\"1\"} 0\ndemo_seconds_bucket{le=\"10\"} 0\n"
          "demo_seconds_bucket{le=\"+Inf\"} 0\ndemo_seconds_sum 0\ndemo_seconds_count 0\n");
    for (double value : {0.25, 1.0, 3.0, 60.0}) registry.observe("demo_seconds", {{"outcome", "ok"}}, value);
    CHECK(registry.render() ==
          "# HELP demo_seconds Durations.\n# TYPE demo_seconds histogram\n"
          "demo_seconds_bucket{outcome=\"ok\",le=\"0.5\"} 1\ndemo_seconds_bucket{outcome=\"ok\",le=\"1\"} 2\n"
          "demo_seconds_bucket{outcome=\"ok\",le=\"10\"} 3\ndemo_seconds_bucket{outcome=\"ok\",le=\"+Inf\"} 4\n"
          "demo_seconds_sum{outcome=\"ok\"} 64.25\ndemo_seconds_count{outcome=\"ok\"} 4\n");
}

TEST_CASE("samples into undeclared families or of the wrong kind are ignored", "[metrics]") {
    Registry registry;
    registry.declare("demo", Kind::gauge, "g");
    registry.add("demo");
    registry.observe("demo", {}, 1);
    registry.add("missing");
    registry.declare("demo", Kind::counter, "again");  // the first declaration stays
    CHECK(registry.render() == "# HELP demo g\n# TYPE demo gauge\n");
}

TEST_CASE("values are written exactly, with Prometheus' spellings of infinities and NaN", "[metrics]") {
    CHECK(formatValue(0) == "0");
    CHECK(formatValue(-3) == "-3");
    CHECK(formatValue(1e15) == "1000000000000000");
    CHECK(formatValue(0.1) == "0.1");
    CHECK(formatValue(2.0 / 3) == "0.6666666666666666");  // the shortest text that reads back exactly
    CHECK(formatValue(1e300) == "1e+300");
    CHECK(formatValue(0.1 + 0.2) == "0.30000000000000004");
    CHECK(formatValue(std::numeric_limits<double>::infinity()) == "+Inf");
    CHECK(formatValue(-std::numeric_limits<double>::infinity()) == "-Inf");
    CHECK(formatValue(std::numeric_limits<double>::quiet_NaN()) == "NaN");
}

TEST_CASE("a copy of the registry takes gauges without changing the original", "[metrics]") {
    Registry registry;
    declarePpcsdMetrics(registry);
    Registry snapshot(registry);
    model::ClusterStatus demo;
    demo.name = "demo";
    model::Member head{model::MemberRole::head, 0, "demo-head", "10.0.0.2", "running"};
    head.ready = true;
    head.mpiSlots = 2;
    model::Member node{model::MemberRole::node, 1, "demo-node-1", "", "starting"};
    demo.members = {head, node};
    setClusterGauges(snapshot, 3, {demo});
    setJobGauges(snapshot, {{model::JobState::finished, 4}});
    auto text = snapshot.render();
    CHECK(text.find("\nppcs_clusters 3\n") != std::string::npos);
    CHECK(text.find("\nppcs_cluster_members{cluster=\"demo\",state=\"ready\"} 1\n") != std::string::npos);
    CHECK(text.find("\nppcs_cluster_members{cluster=\"demo\",state=\"starting\"} 1\n") != std::string::npos);
    CHECK(text.find("\nppcs_cluster_ready_slots{cluster=\"demo\"} 2\n") != std::string::npos);
    CHECK(text.find("\nppcs_jobs{state=\"finished\"} 4\n") != std::string::npos);
    CHECK(text.find("\nppcs_jobs{state=\"timed-out\"} 0\n") != std::string::npos);
    CHECK(registry.render().find("ppcs_clusters 3") == std::string::npos);
}

TEST_CASE("ppcsd's counters and histograms are fed through their helpers", "[metrics]") {
    Registry registry;
    declarePpcsdMetrics(registry);
    recordUp(registry, UpOutcome::ok, 4);
    recordUp(registry, UpOutcome::failed, 700);
    recordJobEnd(registry, model::JobState::timedOut, 0.3);
    recordHealEvent(registry, "demo");
    recordHealEvent(registry, "demo");
    recordEngineError(registry, EngineErrorKind::serverError);
    auto text = registry.render();
    CHECK(text.find("\nppcs_up_duration_seconds_count{outcome=\"ok\"} 1\n") != std::string::npos);
    CHECK(text.find("\nppcs_up_duration_seconds_bucket{outcome=\"failed\",le=\"600\"} 0\n") != std::string::npos);
    CHECK(text.find("\nppcs_up_duration_seconds_bucket{outcome=\"failed\",le=\"1800\"} 1\n") != std::string::npos);
    CHECK(text.find("\nppcs_job_duration_seconds_sum{state=\"timed-out\"} 0.3\n") != std::string::npos);
    CHECK(text.find("\nppcs_heal_events_total{cluster=\"demo\"} 2\n") != std::string::npos);
    CHECK(text.find("\nppcs_engine_errors_total{kind=\"server_error\"} 1\n") != std::string::npos);
    CHECK(text.find("ppcs_up_duration_seconds_count 0") == std::string::npos);  // the zero series gave way
}
