// libFuzzer target: the ppcs-cluster command line parser. The input is split on NUL bytes into
// argv words; the parsed action is never run (it would start a daemon).

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "cli/command_line.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::vector<std::string> words{"ppcs-cluster"};
    std::string current;
    for (std::size_t i = 0; i < size; ++i) {
        if (data[i] == 0) {
            words.push_back(current);
            current.clear();
        } else {
            current += static_cast<char>(data[i]);
        }
    }
    if (!current.empty()) words.push_back(current);
    if (words.size() > 64) return 0;
    std::vector<char*> argv;
    for (auto& word : words) argv.push_back(word.data());
    argv.push_back(nullptr);
    ppcs::cli::GlobalOptions global;
    ppcs::cli::Action action;
    int code = ppcs::cli::parseCommandLine(static_cast<int>(words.size()), argv.data(), global, action);
    if (code != ppcs::cli::kRunAction && code != 0 && code != 2) __builtin_trap();
    return 0;
}
