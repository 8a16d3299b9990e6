// Prints ppcsd's metrics with every family holding samples, hostile label values among them:
// tests/metrics/check_promtool.sh feeds it to `promtool check metrics`.

#include <iostream>

#include "metrics/ppcsd_metrics.h"

using namespace ppcs;
using namespace ppcs::metrics;

int main() {
    Registry registry;
    declarePpcsdMetrics(registry);
    recordUp(registry, UpOutcome::ok, 3.2);
    recordUp(registry, UpOutcome::failed, 0.05);
    recordJobEnd(registry, model::JobState::finished, 1.5);
    recordJobEnd(registry, model::JobState::failed, 4000);
    recordHealEvent(registry, "demo");
    recordEngineError(registry, EngineErrorKind::unreachable);
    recordEngineError(registry, EngineErrorKind::clusterRead);
    model::ClusterStatus demo;
    demo.name = "demo";
    model::Member head{model::MemberRole::head, 0, "demo-head", "10.0.0.2", "running"};
    head.ready = true;
    model::Member odd{model::MemberRole::node, 1, "demo-node-1", "", "weird \"state\"\\\nline"};
    demo.members = {head, odd};
    setClusterGauges(registry, 1, {demo});
    setJobGauges(registry, {{model::JobState::finished, 1}, {model::JobState::failed, 1}});
    std::cout << registry.render();
    return 0;
}
