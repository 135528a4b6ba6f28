// Internal to the harness: the registered scenarios, the measured rows and
// their reporting.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "harness/harness.hpp"

namespace concur::bench {

struct Row {
  std::string scenario, impl, unit;
  std::vector<double> samples;
  double median = 0;
  std::optional<double> ratio;  // median / the reference's median
  bool is_reference = false;
};

struct ScenarioResult {
  std::string id, description, reference, unit;
  std::vector<Row> rows;
  std::vector<std::string> skipped;  // "impl: why"
};

std::vector<std::function<Scenario()>>& registry();
void set_quick(bool quick);

/// Runs one scenario, all implementations interleaved; progress on stderr.
ScenarioResult run_scenario(const Scenario& s, int repetitions_override);

/// Writes the rows of every scenario as BENCH.md's JSON list.
void write_json(const std::vector<ScenarioResult>& results, const std::string& path);

/// Writes docs/benchmarks.md (tables) and, where gnuplot exists, a chart beside it.
void write_markdown(const std::vector<ScenarioResult>& results, const std::string& path);

/// Prints a results table to stdout.
void print_table(const ScenarioResult& r);

}  // namespace concur::bench
