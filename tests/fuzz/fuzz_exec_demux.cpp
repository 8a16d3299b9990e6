// libFuzzer target: the exec stream demuxer, fed the input in pieces whose sizes come from the
// input itself. Property: never more payload out than bytes in, and no crash or UB.

#include <cstddef>
#include <cstdint>
#include <string>

#include "docker/exec_demux.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    std::size_t piece = 1 + data[0] % 17;
    std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
    ppcs::docker::ExecDemuxer demuxer;
    std::size_t payload = 0;
    auto sink = [&payload](ppcs::docker::OutputStream, std::string_view text) {
        payload += text.size();
        return true;
    };
    for (std::size_t offset = 0; offset < bytes.size(); offset += piece) {
        auto fed = demuxer.feed(bytes.substr(offset, piece), sink);
        if (!fed) break;
    }
    if (payload > bytes.size()) __builtin_trap();
    return 0;
}
