#include "model/progress.h"

#include "common/enum_names.h"

namespace ppcs::model {
namespace {

constexpr NameTable<Phase, 24> kPhaseNames{{
    {Phase::base, "base"},
    {Phase::build, "build"},
    {Phase::tag, "tag"},
    {Phase::check, "check"},
    {Phase::image, "image"},
    {Phase::swarm, "swarm"},
    {Phase::create, "create"},
    {Phase::mount, "mount"},
    {Phase::copy, "copy"},
    {Phase::tasks, "tasks"},
    {Phase::ssh, "ssh"},
    {Phase::ready, "ready"},
    {Phase::scale, "scale"},
    {Phase::rollback, "rollback"},
    {Phase::down, "down"},
    {Phase::pair, "pair"},
    {Phase::allgather, "allgather"},
    {Phase::jobId, "job-id"},
    {Phase::job, "job"},
    {Phase::standardOutput, "stdout"},
    {Phase::standardError, "stderr"},
    {Phase::notice, "notice"},
    {Phase::warning, "warning"},
    {Phase::other, "other"},
}};

}  // namespace

std::string_view phaseName(Phase phase) { return nameIn(kPhaseNames, phase, "other"); }

Phase phaseFromName(std::string_view name) { return valueIn(kPhaseNames, name).value_or(Phase::other); }

}  // namespace ppcs::model
