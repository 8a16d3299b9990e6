#pragma once
// `ppcs-cluster shell` over one connection to ppcsd:
//
//   kOpenShell (operations.h), a POST to the cluster's shell path with
//   Connection: Upgrade, Upgrade: ppcs-shell/1, Authorization: Bearer ..
//   body: ShellRequest as JSON (with Content-Length)
//   -> an API error reply (JSON, as on every route) when the shell cannot be opened, or
//   -> 101 Switching Protocols, and from then on frames both ways until ppcsd sends `exit` or
//      `failure` and closes (or the client goes, which ends the session's processes).
//
// A frame is [type u8][payload length u32 big-endian][payload]. Client to ppcsd: input (bytes for
// the process's stdin), inputEnd (empty), resize (cols u16, rows u16, big-endian). ppcsd to
// client: output (stdout, or the terminal), errorOutput (stderr without a terminal), exit (the
// status, i32 big-endian), failure (a one-line message: the session broke).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "model/shell_request.h"

namespace ppcs::api {

inline constexpr const char* kShellUpgrade = "ppcs-shell/1";
inline constexpr std::size_t kFrameHeaderBytes = 5;
inline constexpr std::size_t kMaxFramePayload = 1 << 20;

enum class FrameType : std::uint8_t { input = 1, inputEnd = 2, resize = 3, output = 4, errorOutput = 5, exit = 6, failure = 7 };

struct Frame {
    FrameType type = FrameType::input;
    std::string payload;
};

std::string encodeFrame(FrameType type, std::string_view payload);
std::string encodeResizeFrame(int cols, int rows);  // sides are clamped to 0-65535
std::string encodeExitFrame(int status);

struct TerminalSize {
    int cols = 0;
    int rows = 0;
};
// The payload of a resize or exit frame (the decoder has checked its length).
TerminalSize resizeOf(const Frame& frame);
int exitStatusOf(const Frame& frame);

// Splits a byte stream into frames, whatever the pieces it comes in. Fails (ErrorCode::usage) on
// an unknown type, a payload over kMaxFramePayload, or a fixed-size frame (inputEnd 0, resize 4,
// exit 4 bytes) of another length; nothing after such a frame can be trusted.
class FrameDecoder {
public:
    Result<std::vector<Frame>> feed(std::string_view bytes);
    // True when no frame is half received (a clean end of the stream).
    bool atFrameBoundary() const { return buffer_.empty(); }

private:
    std::string buffer_;
};

std::string encodeShellRequest(const model::ShellRequest& request);  // the cluster travels in the path
// Fails with ErrorCode::usage on malformed JSON, unknown fields or wrong types; cluster is the
// path's name; the result passes validateShellRequest.
Result<model::ShellRequest> decodeShellRequest(std::string_view body, const std::string& cluster);

}  // namespace ppcs::api
