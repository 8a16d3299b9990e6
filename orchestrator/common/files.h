#pragma once
// File-system helpers: whole-file reads, private (0600) atomic writes and the state directory.

#include <string>

#include "common/result.h"

namespace ppcs {

Result<std::string> readFile(const std::string& path);

// Writes content to path atomically (temporary file + rename). The file is created with mode
// 0600 from the start, so there is no moment when another user could read it.
Status writePrivateFile(const std::string& path, const std::string& content);

// Creates dir (and parents) when missing and makes it 0700.
Status ensurePrivateDirectory(const std::string& dir);

// The per-user state directory, holding ppcsd's token, endpoint, log and lock:
// $PPCS_STATE_DIR, else $XDG_STATE_HOME/ppcs, else $HOME/.local/state/ppcs.
std::string stateDirectory();

// A path's last component, trailing slashes ignored: "a/b/" gives "b", "/" gives "/".
std::string baseName(const std::string& path);

// path made absolute against the current directory (not resolved: it need not exist yet);
// "." and empty components dropped, ".." kept for the system to resolve.
Result<std::string> absoluteLocalPath(const std::string& path);

// Directory of the running executable (from /proc/self/exe).
std::string executableDirectory();

// "<size>-<mtime in ns>" of a file: changes whenever the file is rebuilt or replaced. Empty when
// the file cannot be read.
std::string fileIdentity(const std::string& path);

}  // namespace ppcs
