// The ppcs-cluster(1) man page: written by the build, current (what the built CLI writes now),
// rendered by groff without a warning, and naming every command and option the CLI declares
// (read from declareCommands, not from a list kept here), with --help's own descriptions.

#include "cli/man_page.h"

#include <CLI/CLI.hpp>
#include <catch2/catch.hpp>
#include <functional>

#include "cli/command_line.h"
#include "cli/completion.h"
#include "common/files.h"
#include "support/run_process.h"
#include "support/test_paths.h"

using ppcs::testing::runProcess;

namespace {

std::string manPagePath() { return ppcs::testing::buildDir() + "/man/ppcs-cluster.1"; }

// Text as the page sets it: hyphens and backslashes escaped.
std::string asRoff(const std::string& text) {
    std::string escaped;
    for (char c : text) escaped += c == '-' ? std::string("\\-") : c == '\\' ? std::string("\\e") : std::string(1, c);
    return escaped;
}

// Every visible command under level, by its full path ("ppcs-cluster daemon stop").
void forEachCommand(const CLI::App& level, const std::string& path,
                    const std::function<void(const CLI::App&, const std::string&)>& visit) {
    for (const auto* sub : level.get_subcommands([](const CLI::App* s) { return !s->get_group().empty(); })) {
        std::string subPath = path + " " + sub->get_name();
        visit(*sub, subPath);
        forEachCommand(*sub, subPath, visit);
    }
}

}  // namespace

TEST_CASE("the man page is written by the build and is what the CLI writes now", "[cli][man]") {
    auto built = ppcs::readFile(manPagePath());
    REQUIRE(built);
    auto now = runProcess({ppcs::testing::cliBinary(), ppcs::cli::kManPageCommand}, {}, 30);
    REQUIRE(now.exitCode == 0);
    CHECK(now.err.empty());
    CHECK(*built == now.out);
}

TEST_CASE("the man page renders without a warning", "[cli][man]") {
    auto rendered = runProcess({"groff", "-man", "-Tutf8", "-ww", "-z", manPagePath()}, {}, 60);
    INFO(rendered.err);
    CHECK(rendered.exitCode == 0);
    CHECK(rendered.err.empty());
}

TEST_CASE("the man page names every command and option the CLI declares", "[cli][man]") {
    auto page = ppcs::readFile(manPagePath());
    REQUIRE(page);
    CLI::App app;
    ppcs::cli::GlobalOptions global;
    ppcs::cli::Action action;
    ppcs::cli::declareCommands(app, global, action);
    // As a reader sees it: plain text, no overstriking or colours.
    auto rendered = runProcess({"groff", "-man", "-Tutf8", "-P-cbou", manPagePath()}, {}, 60);
    REQUIRE(rendered.exitCode == 0);
    int commands = 0;
    forEachCommand(app, app.get_name(), [&](const CLI::App& command, const std::string& path) {
        ++commands;
        INFO("command " << path);
        CHECK(page->find(".SS \"" + asRoff(path)) != std::string::npos);
        CHECK(rendered.out.find(path) != std::string::npos);
        CHECK(page->find(asRoff(command.get_description())) != std::string::npos);
        for (const auto* option : command.get_options()) {
            for (const auto& name : option->get_lnames()) CHECK(page->find(asRoff("--" + name)) != std::string::npos);
            if (!option->get_description().empty()) CHECK(page->find(asRoff(option->get_description())) != std::string::npos);
        }
    });
    CHECK(commands > 20);
    CHECK(page->find(ppcs::cli::kCompleteCommand) == std::string::npos);  // hidden
    CHECK(page->find(ppcs::cli::kManPageCommand) == std::string::npos);
}

TEST_CASE("man page text is escaped for roff", "[cli][man]") {
    CLI::App app{"tool: does things", "tool"};
    app.add_subcommand("odd", ".starts with a dot and has a \\ backslash");
    std::string page = ppcs::cli::manPage(app);
    CHECK(page.find("\n\\&.starts with a dot and has a \\e backslash\n") != std::string::npos);
    CHECK(page.find(".SS \"tool odd") != std::string::npos);
}
