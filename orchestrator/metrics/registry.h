#pragma once
// ppcsd's metrics: counters, gauges and histograms with labels, rendered in the Prometheus text
// exposition format (version 0.0.4). Depends on common only; knows nothing of clusters or jobs.
//
// A family is declared once (name, kind, help, and for a histogram its bucket bounds) before any
// sample is recorded into it; recording into an undeclared family, or into one of another kind,
// is a programming error and is ignored. Every family is rendered with its # HELP and # TYPE
// lines, even with no samples; a family without labels starts at zero. Label values and help
// text are escaped on rendering, so any text may be passed. Safe to use from any thread.

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ppcs::metrics {

enum class Kind { counter, gauge, histogram };

// Label names and values, in the order given (rendered in that order).
using Labels = std::vector<std::pair<std::string, std::string>>;

// The bounds of ppcsd's duration histograms, in seconds.
std::vector<double> durationBuckets();

class Registry {
public:
    Registry() = default;
    Registry(const Registry& other);
    Registry& operator=(const Registry&) = delete;

    // Declares a family. name: [a-zA-Z_:][a-zA-Z0-9_:]*; buckets: increasing upper bounds for a
    // histogram (+Inf is added on rendering). Declaring a name again is ignored.
    void declare(const std::string& name, Kind kind, const std::string& help, std::vector<double> buckets = {});

    // A counter grows by delta (negative deltas are ignored).
    void add(const std::string& name, const Labels& labels = {}, double delta = 1);
    // A gauge takes value.
    void set(const std::string& name, const Labels& labels, double value);
    // A histogram counts one observation.
    void observe(const std::string& name, const Labels& labels, double value);

    // Every family, in the order declared, in the text exposition format.
    std::string render() const;

private:
    struct Series {
        double value = 0;                 // a counter's or a gauge's value; a histogram's sum
        std::vector<std::uint64_t> hits;  // a histogram's observations per bucket (not cumulative)
        std::uint64_t count = 0;          // a histogram's observations
    };
    struct Family {
        std::string name;
        Kind kind = Kind::counter;
        std::string help;
        std::vector<double> buckets;
        std::map<Labels, Series> series;
    };

    Series* seriesLocked(const std::string& name, Kind kind, const Labels& labels);
    static void renderFamily(const Family& family, std::string& out);

    mutable std::mutex mutex_;
    std::vector<Family> families_;
};

// Text as a label value between double quotes: backslash, double quote and newline escaped.
std::string escapeLabelValue(std::string_view text);
// Text as a # HELP line's text: backslash and newline escaped.
std::string escapeHelp(std::string_view text);
// A sample value: integers without a fraction, "+Inf", "-Inf", "NaN", else the shortest exact form.
std::string formatValue(double value);

}  // namespace ppcs::metrics
