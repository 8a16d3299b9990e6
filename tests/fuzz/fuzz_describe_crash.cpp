// libFuzzer target: arbitrary bytes as mpirun's stderr, handed to describeCrash, which turns
// "process rank R with PID P on node N exited on signal S (NAME)" into a line naming the crashed
// rank and its node. std::regex runs recursively over the whole stderr: a pathological input could
// exhaust the stack.
// Properties: it returns (no throw, no runaway regex), and what it returns is empty or names a rank.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "jobs/job_runner.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string mpirunErr(reinterpret_cast<const char*>(data), size);
    ppcs::cluster::Member head;
    head.role = ppcs::model::MemberRole::head;
    head.hostname = "demo-head";
    head.address = "10.128.0.2";
    ppcs::cluster::Member node = head;
    node.role = ppcs::model::MemberRole::node;
    node.taskSlot = 1;
    node.hostname = "demo-node-1";
    node.address = "10.128.0.3";
    std::string described = ppcs::jobs::describeCrash(mpirunErr, {head, node});
    if (!described.empty() && described.rfind("rank ", 0) != 0) __builtin_trap();
    return 0;
}
