#pragma once
// The node image's build context: the files of a directory, their fingerprint, and their tar.

#include <string>
#include <vector>

#include "common/result.h"
#include "common/tar.h"

namespace ppcs::image {

struct BuildContext {
    std::string dir;
    std::vector<TarEntry> entries;  // sorted by path; directories before their contents
};

// Reads every file under dir (which must hold a Dockerfile). Executable files keep mode 0755,
// others get 0644. Symbolic links and special files are refused: a context must be plain files.
Result<BuildContext> loadBuildContext(const std::string& dir);

// SHA-256 over every entry's kind, path, mode and content: equal contexts give equal hashes,
// any change to a file, its name or its executable bit changes it.
std::string contextHash(const BuildContext& context);

Result<std::string> contextTar(const BuildContext& context);

// The image named by the first FROM line of the context's Dockerfile ("debian:bookworm-slim").
Result<std::string> baseImageOf(const BuildContext& context);

}  // namespace ppcs::image
