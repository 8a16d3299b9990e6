#include "docker/exec_demux.h"

#include <string>

namespace ppcs::docker {

Result<bool> ExecDemuxer::feed(std::string_view bytes, const OutputSink& sink) {
    while (!bytes.empty()) {
        if (payloadLeft_ == 0) {
            std::size_t take = std::min(bytes.size(), header_.size() - headerFilled_);
            for (std::size_t i = 0; i < take; ++i) header_[headerFilled_ + i] = static_cast<unsigned char>(bytes[i]);
            headerFilled_ += take;
            bytes.remove_prefix(take);
            if (headerFilled_ < header_.size()) return true;
            headerFilled_ = 0;
            if (header_[0] > 2 || header_[1] != 0 || header_[2] != 0 || header_[3] != 0)
                return makeError(ErrorCode::failed,
                                 "exec stream: bad frame header (stream byte " + std::to_string(header_[0]) + ")");
            current_ = header_[0] == 2 ? OutputStream::err : OutputStream::out;
            payloadLeft_ = (std::uint32_t(header_[4]) << 24) | (std::uint32_t(header_[5]) << 16) |
                           (std::uint32_t(header_[6]) << 8) | std::uint32_t(header_[7]);
            continue;
        }
        std::size_t take = std::min<std::size_t>(bytes.size(), payloadLeft_);
        payloadLeft_ -= static_cast<std::uint32_t>(take);
        auto piece = bytes.substr(0, take);
        bytes.remove_prefix(take);
        if (!sink(current_, piece)) return false;
    }
    return true;
}

}  // namespace ppcs::docker
