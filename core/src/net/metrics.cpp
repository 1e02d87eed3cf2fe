#include "net/metrics.hpp"

#include <array>
#include <charconv>
#include <cmath>

namespace forgelink::net {

namespace {

// Upper bounds of the latency buckets, in seconds; +Inf is implicit (the total count).
constexpr std::array<double, 12> kBuckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};

std::string formatNumber(double value) {
    if (std::isnan(value)) return "NaN";
    if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
    char buffer[64];
    const auto [end, error] = std::to_chars(buffer, buffer + sizeof buffer, value);
    if (error != std::errc()) return "NaN";
    return std::string(buffer, end);
}

// Text format 0.0.4: HELP escapes backslash and newline; label values also the double quote.
std::string escape(const std::string& text, bool quotes) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        if (c == '\\') out += "\\\\";
        else if (c == '\n') out += "\\n";
        else if (quotes && c == '"') out += "\\\"";
        else out += c;
    }
    return out;
}

std::string renderLabels(const Labels& labels, const std::string& extra_name = {}, const std::string& extra_value = {}) {
    if (labels.empty() && extra_name.empty()) return {};
    std::string out = "{";
    bool first = true;
    for (const auto& [name, value] : labels) {
        if (!first) out += ',';
        first = false;
        out += name + "=\"" + escape(value, true) + "\"";
    }
    if (!extra_name.empty()) {
        if (!first) out += ',';
        out += extra_name + "=\"" + escape(extra_value, true) + "\"";
    }
    return out + "}";
}

}  // namespace

void Metrics::describe(const std::string& name, const std::string& type, const std::string& help) {
    std::lock_guard lock(mutex_);
    auto& family = families_[name];
    if (family.type.empty()) {
        family.type = type;
        family.help = help;
    }
}

void Metrics::increment(const std::string& name, const Labels& labels, double by) {
    std::lock_guard lock(mutex_);
    families_[name].values[labels] += by;
}

void Metrics::set(const std::string& name, const Labels& labels, double value) {
    std::lock_guard lock(mutex_);
    families_[name].values[labels] = value;
}

void Metrics::observe(const std::string& name, const Labels& labels, double seconds) {
    std::lock_guard lock(mutex_);
    auto& histogram = families_[name].histograms[labels];
    if (histogram.counts.empty()) histogram.counts.assign(kBuckets.size(), 0);
    for (std::size_t i = 0; i < kBuckets.size(); ++i) {
        if (seconds <= kBuckets[i]) {
            histogram.counts[i] += 1;  // the smallest bucket only; render() accumulates
            break;
        }
    }
    histogram.sum += seconds;
    histogram.count += 1;
}

double Metrics::value(const std::string& name, const Labels& labels) const {
    std::lock_guard lock(mutex_);
    const auto family = families_.find(name);
    if (family == families_.end()) return 0;
    const auto value = family->second.values.find(labels);
    return value == family->second.values.end() ? 0 : value->second;
}

std::size_t Metrics::removeSeries(const Labels& match) {
    if (match.empty()) return 0;  // an empty match would wipe everything
    auto matches = [&match](const Labels& labels) {
        for (const auto& [name, value] : match) {
            auto it = labels.find(name);
            if (it == labels.end() || it->second != value) return false;
        }
        return true;
    };
    std::lock_guard lock(mutex_);
    std::size_t removed = 0;
    for (auto& [name, family] : families_) {
        removed += std::erase_if(family.values, [&](const auto& entry) { return matches(entry.first); });
        removed += std::erase_if(family.histograms, [&](const auto& entry) { return matches(entry.first); });
    }
    return removed;
}

void Metrics::replaceSeries(const std::string& name, std::map<Labels, double> values) {
    std::lock_guard lock(mutex_);
    families_[name].values = std::move(values);
}

std::string Metrics::renderPrometheus() const {
    std::lock_guard lock(mutex_);
    std::string out;
    for (const auto& [name, family] : families_) {
        if (!family.help.empty()) out += "# HELP " + name + " " + escape(family.help, false) + "\n";
        out += "# TYPE " + name + " " + (family.type.empty() ? "untyped" : family.type) + "\n";
        for (const auto& [labels, value] : family.values) {
            out += name + renderLabels(labels) + " " + formatNumber(value) + "\n";
        }
        for (const auto& [labels, histogram] : family.histograms) {
            double cumulative = 0;
            for (std::size_t i = 0; i < kBuckets.size(); ++i) {
                cumulative += histogram.counts[i];
                out += name + "_bucket" + renderLabels(labels, "le", formatNumber(kBuckets[i])) + " " +
                       formatNumber(cumulative) + "\n";
            }
            out += name + "_bucket" + renderLabels(labels, "le", "+Inf") + " " + formatNumber(histogram.count) + "\n";
            out += name + "_sum" + renderLabels(labels) + " " + formatNumber(histogram.sum) + "\n";
            out += name + "_count" + renderLabels(labels) + " " + formatNumber(histogram.count) + "\n";
        }
    }
    return out;
}

}  // namespace forgelink::net
