#pragma once
// Splits the engine's multiplexed exec/attach stream (used when no TTY is allocated) into stdout
// and stderr. Each frame is an 8-byte header [stream, 0, 0, 0, size as u32 big-endian] followed by
// size bytes of payload. Frames do not align with reads or with lines: feed() accepts any split
// of the byte stream and hands payload on as soon as it arrives, possibly in several pieces.

#include <array>
#include <cstdint>
#include <functional>
#include <string_view>

#include "common/result.h"

namespace ppcs::docker {

enum class OutputStream { out, err };

// Returning false asks the caller to stop reading; the demuxer itself keeps its state.
using OutputSink = std::function<bool(OutputStream, std::string_view)>;

class ExecDemuxer {
public:
    // Fails (ErrorCode::failed) on a header whose stream byte is not 0, 1 or 2 or whose padding is
    // not zero: the stream is not a multiplexed one, and nothing after it can be trusted.
    // Returns false in the value when the sink asked to stop.
    Result<bool> feed(std::string_view bytes, const OutputSink& sink);
    // True when the bytes fed so far end exactly between frames (a clean end of stream).
    bool atFrameBoundary() const { return headerFilled_ == 0 && payloadLeft_ == 0; }

private:
    std::array<unsigned char, 8> header_{};
    std::size_t headerFilled_ = 0;
    std::uint32_t payloadLeft_ = 0;
    OutputStream current_ = OutputStream::out;
};

}  // namespace ppcs::docker
