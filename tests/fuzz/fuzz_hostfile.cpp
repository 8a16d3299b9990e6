// libFuzzer target: the hostfile parser and writer. Property: whatever parses renders, and the
// rendering parses back to the same entries.

#include <cstddef>
#include <cstdint>
#include <string>

#include "cluster/hostfile.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string text(reinterpret_cast<const char*>(data), size);
    auto entries = ppcs::cluster::parseHostfile(text);
    if (!entries) return 0;
    auto rendered = ppcs::cluster::renderHostfile("fuzz", *entries);
    if (!rendered) __builtin_trap();
    auto again = ppcs::cluster::parseHostfile(*rendered);
    if (!again || again->size() != entries->size()) __builtin_trap();
    for (std::size_t i = 0; i < entries->size(); ++i)
        if ((*again)[i].address != (*entries)[i].address || (*again)[i].slots != (*entries)[i].slots ||
            (*again)[i].name != (*entries)[i].name)
            __builtin_trap();
    return 0;
}
