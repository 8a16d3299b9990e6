#include "api/shell_protocol.h"

#include <algorithm>

#include "api/json_fields.h"

namespace ppcs::api {
namespace {

using fields::json;

void putU32(std::string& out, std::uint32_t value) {
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((value >> shift) & 0xff));
}

std::uint32_t getU32(std::string_view bytes) {
    std::uint32_t value = 0;
    for (int i = 0; i < 4; ++i) value = (value << 8) | static_cast<unsigned char>(bytes[static_cast<std::size_t>(i)]);
    return value;
}

std::uint16_t getU16(std::string_view bytes) {
    return static_cast<std::uint16_t>((static_cast<unsigned char>(bytes[0]) << 8) | static_cast<unsigned char>(bytes[1]));
}

// The payload length a frame type must have, when it is fixed.
std::optional<std::size_t> fixedLength(FrameType type) {
    switch (type) {
        case FrameType::inputEnd:
            return 0;
        case FrameType::resize:
        case FrameType::exit:
            return 4;
        default:
            return std::nullopt;
    }
}

bool knownType(std::uint8_t type) {
    return type >= static_cast<std::uint8_t>(FrameType::input) && type <= static_cast<std::uint8_t>(FrameType::failure);
}

}  // namespace

std::string encodeFrame(FrameType type, std::string_view payload) {
    std::string frame;
    frame.reserve(kFrameHeaderBytes + payload.size());
    frame.push_back(static_cast<char>(type));
    putU32(frame, static_cast<std::uint32_t>(payload.size()));
    frame.append(payload);
    return frame;
}

std::string encodeResizeFrame(int cols, int rows) {
    auto side = [](int value) { return static_cast<std::uint16_t>(std::clamp(value, 0, 65535)); };
    std::uint16_t c = side(cols), r = side(rows);
    std::string payload{static_cast<char>(c >> 8), static_cast<char>(c & 0xff), static_cast<char>(r >> 8),
                        static_cast<char>(r & 0xff)};
    return encodeFrame(FrameType::resize, payload);
}

std::string encodeExitFrame(int status) {
    std::string payload;
    putU32(payload, static_cast<std::uint32_t>(status));
    return encodeFrame(FrameType::exit, payload);
}

TerminalSize resizeOf(const Frame& frame) {
    if (frame.payload.size() != 4) return {};
    return TerminalSize{getU16(frame.payload), getU16(std::string_view(frame.payload).substr(2))};
}

int exitStatusOf(const Frame& frame) {
    if (frame.payload.size() != 4) return -1;
    return static_cast<int>(static_cast<std::int32_t>(getU32(frame.payload)));
}

Result<std::vector<Frame>> FrameDecoder::feed(std::string_view bytes) {
    buffer_.append(bytes);
    std::vector<Frame> frames;
    std::size_t at = 0;
    while (buffer_.size() - at >= kFrameHeaderBytes) {
        auto type = static_cast<std::uint8_t>(buffer_[at]);
        std::uint32_t length = getU32(std::string_view(buffer_).substr(at + 1, 4));
        if (!knownType(type)) return makeError(ErrorCode::usage, "shell frame of unknown type " + std::to_string(type));
        if (length > kMaxFramePayload)
            return makeError(ErrorCode::usage, "shell frame of " + std::to_string(length) + " bytes is over the limit");
        auto fixed = fixedLength(static_cast<FrameType>(type));
        if (fixed && *fixed != length)
            return makeError(ErrorCode::usage,
                             "shell frame of type " + std::to_string(type) + " must carry " + std::to_string(*fixed) + " bytes");
        if (buffer_.size() - at - kFrameHeaderBytes < length) break;
        frames.push_back(Frame{static_cast<FrameType>(type), buffer_.substr(at + kFrameHeaderBytes, length)});
        at += kFrameHeaderBytes + length;
    }
    buffer_.erase(0, at);
    return frames;
}

std::string encodeShellRequest(const model::ShellRequest& request) {
    return fields::dumpJson(json{{"node", request.node},
                                 {"command", request.command},
                                 {"tty", request.tty},
                                 {"stdin", request.attachStdin},
                                 {"cols", request.cols},
                                 {"rows", request.rows},
                                 {"term", request.term}});
}

Result<model::ShellRequest> decodeShellRequest(std::string_view body, const std::string& cluster) {
    const char* what = "shell request";
    auto object = fields::parseObject(body, what);
    if (!object) return object.error();
    if (auto known = fields::rejectUnknown(*object, {"node", "command", "tty", "stdin", "cols", "rows", "term"}, what); !known)
        return known.error();
    model::ShellRequest request;
    request.cluster = cluster;
    Status read = fields::readOptional(*object, "node", json::value_t::number_integer, request.node, what);
    if (read) read = fields::readOptional(*object, "tty", json::value_t::boolean, request.tty, what);
    if (read) read = fields::readOptional(*object, "stdin", json::value_t::boolean, request.attachStdin, what);
    if (read) read = fields::readOptional(*object, "cols", json::value_t::number_integer, request.cols, what);
    if (read) read = fields::readOptional(*object, "rows", json::value_t::number_integer, request.rows, what);
    if (read) read = fields::readOptional(*object, "term", json::value_t::string, request.term, what);
    if (!read) return read.error();
    if (auto command = object->find("command"); command != object->end() && !command->is_null()) {
        if (!command->is_array()) return makeError(ErrorCode::usage, "shell request: field 'command' has the wrong type");
        for (const auto& word : *command) {
            if (!word.is_string()) return makeError(ErrorCode::usage, "shell request: field 'command' must hold strings");
            request.command.push_back(word.get<std::string>());
        }
    }
    if (auto valid = model::validateShellRequest(request); !valid) return valid.error();
    return request;
}

}  // namespace ppcs::api
