#pragma once
// Process-wide logging: timestamped lines to stderr (ppcsd redirects stderr to its log file).
// Thread-safe. The CLI logs nothing by default; it reports errors as one line instead.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace ppcs::log {

enum class Level { debug, info, warn, error };

void setLevel(Level level);
// Whether lines of level are written now (to skip building a line nobody reads).
bool enabled(Level level);
// The level named by text ("debug", "info", "warn", "error"), or nullopt.
std::optional<Level> levelFromName(std::string_view text);
// Keeps the log file that stderr writes to under about maxBytes: once it has grown past that, the
// next line first renames it to PATH.1 (replacing an older one) and continues in a new PATH. Does
// nothing when stderr is not that file (a daemon run by hand in a terminal). 0 turns it off.
void rotateStderrAt(const std::string& path, std::size_t maxBytes);
void write(Level level, std::string_view message);
inline void debug(std::string_view m) { write(Level::debug, m); }
inline void info(std::string_view m) { write(Level::info, m); }
inline void warn(std::string_view m) { write(Level::warn, m); }
inline void error(std::string_view m) { write(Level::error, m); }

}  // namespace ppcs::log
