#pragma once
// Process-wide logging: timestamped lines to stderr (ppcsd redirects stderr to its log file).
// Thread-safe. The CLI logs nothing by default; it reports errors as one line instead.

#include <string_view>

namespace ppcs::log {

enum class Level { debug, info, warn, error };

void setLevel(Level level);
void write(Level level, std::string_view message);
inline void debug(std::string_view m) { write(Level::debug, m); }
inline void info(std::string_view m) { write(Level::info, m); }
inline void warn(std::string_view m) { write(Level::warn, m); }
inline void error(std::string_view m) { write(Level::error, m); }

}  // namespace ppcs::log
