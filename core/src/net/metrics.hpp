// A small metrics registry rendered in the Prometheus text exposition format (version 0.0.4).
// Thread-safe. Names follow Prometheus rules: forgelink_<what>_<unit>[_total].
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace forgelink::net {

using Labels = std::map<std::string, std::string>;

class Metrics {
public:
    // Declares a metric once (help text and type); later calls with the same name are no-ops.
    void describe(const std::string& name, const std::string& type /*counter|gauge|histogram*/,
                  const std::string& help);
    void increment(const std::string& name, const Labels& labels = {}, double by = 1.0);
    void set(const std::string& name, const Labels& labels, double value);
    // Histogram observation in seconds; buckets are fixed for latencies (5 ms .. 30 s).
    void observe(const std::string& name, const Labels& labels, double seconds);
    double value(const std::string& name, const Labels& labels = {}) const;  // counter/gauge; 0 when absent
    // Series of things that no longer exist (a deleted team) must leave /metrics, not linger at
    // their last value until restart. Removes, from every family, each series whose labels
    // include all of `match` (a non-empty subset); returns how many. Declarations stay.
    std::size_t removeSeries(const Labels& match);
    // Replaces every series of gauge `name` with `values` in one step, so a scrape never sees the
    // family half rebuilt and series absent from `values` disappear.
    void replaceSeries(const std::string& name, std::map<Labels, double> values);
    std::string renderPrometheus() const;

private:
    struct Histogram {
        std::vector<double> counts;  // per bucket, cumulative rendered
        double sum = 0;
        double count = 0;
    };
    struct Family {
        std::string type;
        std::string help;
        std::map<Labels, double> values;
        std::map<Labels, Histogram> histograms;
    };
    mutable std::mutex mutex_;
    std::map<std::string, Family> families_;
};

}  // namespace forgelink::net
