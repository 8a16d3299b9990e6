#pragma once
// JSON <-> value types for the Engine API. Decoders fail with context naming what was being read;
// they never throw.

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "docker/types.h"

namespace ppcs::docker {

Result<ImageInfo> decodeImageInfo(std::string_view json);
Result<std::vector<ContainerSummary>> decodeContainerList(std::string_view json);
// {"Id": "..."} replies from create calls.
Result<std::string> decodeCreatedId(std::string_view json);
Result<ExecState> decodeExecState(std::string_view json);
Result<ProgressMessage> decodeProgressLine(std::string_view line);

std::string encodeContainerSpec(const ContainerSpec& spec);
std::string encodeExecSpec(const ExecSpec& spec);
std::string encodeLabelFilter(const Labels& labels);  // {"label":["k=v",...]} for ?filters=
std::string encodeStringMap(const Labels& map);       // {"k":"v"} for ?labels= and ?buildargs=

// The engine's {"message": "..."} error body; the raw body (trimmed) when it is not that shape.
std::string engineErrorMessage(std::string_view body);

// Splits a byte stream of newline-delimited JSON into complete lines.
class LineSplitter {
public:
    // Appends bytes and returns every line completed by them (without the newline).
    std::vector<std::string> feed(std::string_view bytes);
    // What is left after the last newline (a final line without one).
    std::string rest() { return std::move(pending_); }

private:
    std::string pending_;
};

}  // namespace ppcs::docker
