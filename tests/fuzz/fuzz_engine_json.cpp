// libFuzzer target: every Engine API JSON decoder, and the progress-stream line splitter.

#include <cstddef>
#include <cstdint>
#include <string>

#include "docker/codecs.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    using namespace ppcs::docker;
    decodeImageInfo(text);
    decodeContainerList(text);
    decodeCreatedId(text);
    decodeExecState(text);
    decodeEngineInfo(text);
    decodeNetworkList(text);
    decodeVolumeList(text);
    decodeSecretList(text);
    decodeService(text);
    decodeServiceList(text);
    decodeTaskList(text);
    decodeNodeList(text);
    decodeSwarmJoinInfo(text);
    decodeVersionIndex(text);
    respecNodeLabels(text, {{"ppcs.host", "h"}});
    decodeSwarmCreatedId(text);
    respecReplicas(text, 3);
    engineErrorMessage(text);
    LineSplitter splitter;
    for (const auto& line : splitter.feed(text)) decodeProgressLine(line);
    decodeProgressLine(splitter.rest());
    encodePathPart(std::string(text));
    return 0;
}
