// concur_bench: runs the registered scenarios side by side and reports ratios.
//   concur_bench [--filter REGEX] [--reps N] [--quick] [--out results.json] [--markdown
//   benchmarks.md]
#include <CLI/CLI.hpp>

#include <concur/multiprocessing.hpp>

#include <cstdio>
#include <regex>

#include "harness/exec_floor.hpp"
#include "harness/registry.hpp"

int main(int argc, char** argv) {
  concur::bench::answer_if_exec_floor_child();  // pool_startup's raw_exec_floor row
  // First: scenarios with StartMethod::spawn re-execute this program as their workers.
  concur::multiprocessing::freeze_support(argc, argv);
  CLI::App app{"concur's side-by-side benchmarks"};
  std::string filter = ".*", out = "build/bench/results.json", markdown;
  int reps = 0;
  bool quick = false, list = false;
  app.add_option("--filter", filter, "regular expression over scenario ids");
  app.add_option("--reps", reps, "repetitions per implementation (default: each scenario's)")
      ->check(CLI::PositiveNumber);
  app.add_flag("--quick", quick, "small sizes and 2 repetitions: a smoke run");
  app.add_flag("--list", list, "list the scenarios and exit");
  app.add_option("--out", out, "where to write the JSON results");
  app.add_option("--markdown", markdown, "where to write the Markdown report (and its chart)");
  CLI11_PARSE(app, argc, argv);

  using namespace concur::bench;
  set_quick(quick);
  std::regex re;
  try {
    re = std::regex(filter);
  } catch (const std::regex_error& e) {
    std::fprintf(stderr, "concur_bench: bad --filter '%s': %s\n", filter.c_str(), e.what());
    return 2;
  }
  std::vector<ScenarioResult> results;
  for (const auto& make : registry()) {
    const Scenario s = make();
    if (!std::regex_search(s.id, re)) continue;
    if (list) {
      std::printf("%-28s %s\n", s.id.c_str(), s.description.c_str());
      continue;
    }
    results.push_back(run_scenario(s, reps));
    print_table(results.back());
    write_json(results, out);  // after each scenario: an interrupted run keeps what it measured
  }
  if (list) return 0;
  if (results.empty()) {
    std::fprintf(stderr, "concur_bench: no scenario matches '%s'\n", filter.c_str());
    return 2;
  }
  if (!markdown.empty()) write_markdown(results, markdown);
  std::printf("\nresults: %s%s%s\n", out.c_str(), markdown.empty() ? "" : ", ", markdown.c_str());
  return 0;
}
