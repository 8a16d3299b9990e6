#include "metrics/registry.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace ppcs::metrics {
namespace {

std::string renderLabels(const Labels& labels, const std::string& le = "") {
    if (labels.empty() && le.empty()) return "";
    std::string out = "{";
    for (const auto& [name, value] : labels) {
        if (out.size() > 1) out += ',';
        out += name + "=\"" + escapeLabelValue(value) + "\"";
    }
    if (!le.empty()) out += std::string(out.size() > 1 ? "," : "") + "le=\"" + le + "\"";
    return out + "}";
}

const char* kindName(Kind kind) {
    switch (kind) {
        case Kind::counter:
            return "counter";
        case Kind::gauge:
            return "gauge";
        case Kind::histogram:
            return "histogram";
    }
    return "untyped";
}

}  // namespace

std::vector<double> durationBuckets() { return {0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800}; }

std::string escapeLabelValue(std::string_view text) {
    std::string out;
    for (char c : text) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '"')
            out += "\\\"";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
    return out;
}

std::string escapeHelp(std::string_view text) {
    std::string out;
    for (char c : text) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
    return out;
}

std::string formatValue(double value) {
    if (std::isnan(value)) return "NaN";
    if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
    // Whole numbers up to 2^53 are exact in a double: written without exponent or fraction.
    if (value == std::floor(value) && std::fabs(value) < 9007199254740992.0) {
        char text[32];
        std::snprintf(text, sizeof text, "%.0f", value);
        return text;
    }
    char text[40];
    for (int precision = 6; precision <= 17; ++precision) {
        std::snprintf(text, sizeof text, "%.*g", precision, value);
        if (std::strtod(text, nullptr) == value) break;
    }
    return text;
}

Registry::Registry(const Registry& other) {
    std::lock_guard<std::mutex> lock(other.mutex_);
    families_ = other.families_;
}

void Registry::declare(const std::string& name, Kind kind, const std::string& help, std::vector<double> buckets) {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& family : families_)
        if (family.name == name) return;
    Family family{name, kind, help, std::move(buckets), {}};
    if (kind != Kind::gauge) {
        // A family without labels has one series from the start: it reads 0 before anything happened.
        Series empty;
        empty.hits.assign(family.buckets.size(), 0);
        family.series.emplace(Labels{}, empty);
    }
    families_.push_back(std::move(family));
}

Registry::Series* Registry::seriesLocked(const std::string& name, Kind kind, const Labels& labels) {
    for (auto& family : families_) {
        if (family.name != name) continue;
        if (family.kind != kind) return nullptr;
        // The zero series of a declared family goes away once the family has labelled series.
        if (!labels.empty()) family.series.erase(Labels{});
        auto [it, added] = family.series.try_emplace(labels);
        if (added) it->second.hits.assign(family.buckets.size(), 0);
        return &it->second;
    }
    return nullptr;
}

void Registry::add(const std::string& name, const Labels& labels, double delta) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto* series = seriesLocked(name, Kind::counter, labels); series && delta >= 0) series->value += delta;
}

void Registry::set(const std::string& name, const Labels& labels, double value) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto* series = seriesLocked(name, Kind::gauge, labels)) series->value = value;
}

void Registry::observe(const std::string& name, const Labels& labels, double value) {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& family : families_) {
        if (family.name != name || family.kind != Kind::histogram) continue;
        auto* series = seriesLocked(name, Kind::histogram, labels);
        auto bucket = std::lower_bound(family.buckets.begin(), family.buckets.end(), value) - family.buckets.begin();
        if (static_cast<std::size_t>(bucket) < series->hits.size()) ++series->hits[bucket];
        series->value += value;
        ++series->count;
        return;
    }
}

void Registry::renderFamily(const Family& family, std::string& out) {
    out += "# HELP " + family.name + " " + escapeHelp(family.help) + "\n";
    out += "# TYPE " + family.name + " " + kindName(family.kind) + "\n";
    for (const auto& [labels, series] : family.series) {
        if (family.kind != Kind::histogram) {
            out += family.name + renderLabels(labels) + " " + formatValue(series.value) + "\n";
            continue;
        }
        std::uint64_t cumulative = 0;
        for (std::size_t i = 0; i < family.buckets.size(); ++i) {
            cumulative += series.hits[i];
            out += family.name + "_bucket" + renderLabels(labels, formatValue(family.buckets[i])) + " " +
                   std::to_string(cumulative) + "\n";
        }
        out += family.name + "_bucket" + renderLabels(labels, "+Inf") + " " + std::to_string(series.count) + "\n";
        out += family.name + "_sum" + renderLabels(labels) + " " + formatValue(series.value) + "\n";
        out += family.name + "_count" + renderLabels(labels) + " " + std::to_string(series.count) + "\n";
    }
}

std::string Registry::render() const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::string out;
    for (const auto& family : families_) renderFamily(family, out);
    return out;
}

}  // namespace ppcs::metrics
