#pragma once
// Finds the Debian mirror the host's apt uses, so debootstrap fetches from the same place.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/result.h"

namespace ppcs::image {

struct AptSourceFile {
    std::string path;  // decides the format: ".sources" is deb822, anything else one-line
    std::string content;
};

// The first "deb" URI serving a Debian archive ("/debian" path, not -security) for one of the
// suites bookworm or stable, from one-line or deb822 files; nullopt when there is none.
std::optional<std::string> debianMirrorFromSources(const std::vector<AptSourceFile>& files);

// Reads /etc/apt/sources.list and /etc/apt/sources.list.d/* and applies the above.
Result<std::string> hostDebianMirror();

}  // namespace ppcs::image
