// The names, value names, defaults and usage lines come from CLI11's own Formatter, the one that
// writes --help: the page shows the same words, set in roff.

#include "cli/man_page.h"

#include <CLI/CLI.hpp>
#include <cctype>
#include <sstream>

#include "cli/cli.h"

namespace ppcs::cli {
namespace {

// Text as roff shows it literally: backslashes and hyphens escaped, no line read as a request.
std::string roff(const std::string& text) {
    std::string escaped;
    bool lineStart = true;
    for (char c : text) {
        if (lineStart && (c == '.' || c == '\'')) escaped += "\\&";
        if (c == '\\')
            escaped += "\\e";
        else if (c == '-')
            escaped += "\\-";
        else
            escaped += c;
        lineStart = c == '\n';
    }
    return escaped;
}

// For a quoted macro argument: no double quotes inside.
std::string quoted(const std::string& text) {
    std::string inner = roff(text);
    std::string out = "\"";
    for (char c : inner) out += c == '"' ? std::string("\\(dq") : std::string(1, c);
    return out + "\"";
}

// "up [OPTIONS]" from CLI11's "Usage: ppcs-cluster up [OPTIONS]\n" for the name given.
std::string usageLine(const CLI::Formatter& formatter, const CLI::App& app, const std::string& name) {
    std::string usage = formatter.make_usage(&app, name);
    auto start = usage.find(name);
    usage = start == std::string::npos ? usage : usage.substr(start);
    while (!usage.empty() && usage.back() == '\n') usage.pop_back();
    return usage;
}

void writeOption(std::ostringstream& page, const CLI::Formatter& formatter, const CLI::Option* option) {
    bool positional = !option->nonpositional();
    page << ".TP\n"
         << (positional ? "\\fI" : "\\fB") << roff(formatter.make_option_name(option, positional)) << "\\fR"
         << roff(formatter.make_option_opts(option)) << "\n";
    std::string description = formatter.make_option_desc(option);
    page << (description.empty() ? "\\&" : roff(description)) << "\n";
}

// The options and positionals of one level; the help flag only where asked (it is on every level).
void writeOptions(std::ostringstream& page, const CLI::Formatter& formatter, const CLI::App& app, bool withHelp) {
    for (const CLI::Option* option : app.get_options())
        if (withHelp || option != app.get_help_ptr()) writeOption(page, formatter, option);
}

// One command and, after it, each of its visible subcommands, named by their full path.
void writeCommand(std::ostringstream& page, const CLI::Formatter& formatter, const CLI::App& command, const std::string& path) {
    page << ".SS " << quoted(usageLine(formatter, command, path)) << "\n" << roff(command.get_description()) << "\n";
    if (!command.get_footer().empty()) page << ".PP\n" << roff(command.get_footer()) << "\n";
    writeOptions(page, formatter, command, false);
    for (const CLI::App* sub : command.get_subcommands([](const CLI::App* s) { return !s->get_group().empty(); }))
        writeCommand(page, formatter, *sub, path + " " + sub->get_name());
}

std::string capitalized(std::string text) {
    if (!text.empty()) text[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(text[0])));
    return text;
}

void writeHeader(std::ostringstream& page, const CLI::Formatter& formatter, const CLI::App& app) {
    std::string name = app.get_name();
    std::string summary = app.get_description();
    if (summary.rfind(name + ": ", 0) == 0) summary = summary.substr(name.size() + 2);
    std::string upper;
    for (char c : name) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    page << ".TH " << quoted(upper) << " 1 \"\" " << quoted(name + " " + PPCS_VERSION) << " \"User Commands\"\n"
         << ".nh\n"  // no hyphenation: option names and paths are copied from the page
         << ".SH NAME\n"
         << roff(name) << " \\- " << roff(summary) << "\n"
         << ".SH SYNOPSIS\n"
         << roff(usageLine(formatter, app, name)) << "\n"
         << ".SH DESCRIPTION\n"
         << roff(capitalized(summary)) << ". " << roff(name)
         << " talks to ppcsd, the daemon that drives Docker, and starts ppcsd in the background when none answers. "
            "The options under OPTIONS may be given before or after the command.\n";
}

void writeFooter(std::ostringstream& page) {
    page << ".SH \"EXIT STATUS\"\n"
         << ".TP\n.B 0\nsuccess (for run and wait: the job's own exit code)\n"
         << ".TP\n.B " << kExitFailure << "\nfailure\n"
         << ".TP\n.B " << kExitUsage << "\nusage error\n"
         << ".TP\n.B " << kExitNotRunning << "\n"
         << roff("daemon status: ppcsd is not running") << "\n"
         << ".SH ENVIRONMENT\n"
         << ".TP\n.B PPCS_STATE_DIR\n"
         << roff("ppcsd's state directory (token, log, jobs); else $XDG_STATE_HOME/ppcs, else ~/.local/state/ppcs") << "\n"
         << ".TP\n.B PPCS_DAEMON\n"
         << roff("the ppcsd binary to start when none runs (default: ppcsd beside ppcs-cluster)") << "\n";
}

}  // namespace

std::string manPage(const CLI::App& app) {
    CLI::Formatter formatter;
    std::ostringstream page;
    writeHeader(page, formatter, app);
    page << ".SH OPTIONS\n";
    writeOptions(page, formatter, app, true);
    page << ".SH COMMANDS\n";
    for (const CLI::App* command : app.get_subcommands([](const CLI::App* s) { return !s->get_group().empty(); }))
        writeCommand(page, formatter, *command, app.get_name() + " " + command->get_name());
    writeFooter(page);
    return page.str();
}

}  // namespace ppcs::cli
