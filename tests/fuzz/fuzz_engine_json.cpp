// libFuzzer target: every Engine API JSON decoder, and the progress-stream line splitter.

#include <cstddef>
#include <cstdint>
#include <string>

#include "docker/codecs.h"

// Results are dropped on purpose ((void)): a target checks that nothing crashes, not what comes back.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    using namespace ppcs::docker;
    (void)decodeImageInfo(text);
    (void)decodeContainerList(text);
    (void)decodeCreatedId(text);
    (void)decodeExecState(text);
    (void)decodeEngineInfo(text);
    (void)decodeNetworkList(text);
    (void)decodeVolumeList(text);
    (void)decodeSecretList(text);
    (void)decodeService(text);
    (void)decodeServiceList(text);
    (void)decodeTaskList(text);
    (void)decodeNodeList(text);
    (void)decodeSwarmJoinInfo(text);
    (void)decodeVersionIndex(text);
    (void)respecNodeLabels(text, {{"ppcs.host", "h"}});
    (void)decodeSwarmCreatedId(text);
    (void)respecReplicas(text, 3);
    (void)engineErrorMessage(text);
    LineSplitter splitter;
    for (const auto& line : splitter.feed(text)) (void)decodeProgressLine(line);
    (void)decodeProgressLine(splitter.rest());
    (void)encodePathPart(std::string(text));
    return 0;
}
