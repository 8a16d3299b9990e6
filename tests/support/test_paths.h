#pragma once
// Paths the build system hands to the tests.

#include <string>

namespace ppcs::testing {

inline std::string dataFile(const std::string& name) { return std::string(PPCS_TEST_DATA_DIR) + "/" + name; }
inline std::string cliBinary() { return PPCS_CLI_PATH; }
inline std::string daemonBinary() { return PPCS_DAEMON_PATH; }
inline std::string imageContextDir() { return PPCS_IMAGE_CONTEXT_DIR; }
inline std::string sourceDir() { return PPCS_SOURCE_DIR; }
inline std::string buildDir() { return PPCS_BUILD_DIR; }

}  // namespace ppcs::testing
