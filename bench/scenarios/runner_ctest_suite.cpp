// runner_ctest_suite: this project's own build/dev test suite (without the `slow` and `docs`
// labels, which run for minutes) at -j2: `concur run --ctest` with a warm history against
// `ctest -j2` with warm cost data (the setup's run and the harness's warm-up repetition warm
// both), alternating. The lower_bound row is max(sum of job times / 2, longest job) from
// concur's own report of its latest run (the setup's, before the first repetition): no
// schedule of those jobs on 2 slots can end earlier. Skipped when build/dev has no test suite.
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>

#include "runner_support.hpp"

namespace {

using namespace concur::bench;
using namespace concur::bench::runner;

std::string build_dir() {
  const std::string d = source_dir() + "/build/dev";
  struct stat st {};
  if (::stat((d + "/CTestTestfile.cmake").c_str(), &st) != 0)
    throw Skip("no test suite in " + d + " (cmake --preset dev && cmake --build --preset dev)");
  return d;
}

std::string scratch(const std::string& name) {
  return "/tmp/concur-bench-ctest-" + std::to_string(::getpid()) + "-" + name;
}

double run_concur() {
  return run_command({concur_cli(), "run", "-q", "-j", "2", "--history", scratch("history.json"),
                      "--json", scratch("report.json"), "--filter", "-label:slow", "--filter",
                      "-label:docs", "--ctest", build_dir()},
                     "", false, /*allow_failure=*/true)
      .seconds;
}

double lower_bound() {
  std::ifstream f(scratch("report.json"));
  if (!f) throw Skip("concur run wrote no report");
  const auto report = nlohmann::json::parse(f);
  double sum = 0, longest = 0;
  for (const auto& j : report["jobs"]) {
    if (!j["started"].get<bool>()) continue;
    sum += j["runtime_s"].get<double>();
    longest = std::max(longest, j["runtime_s"].get<double>());
  }
  return std::max(sum / 2, longest);
}

Register r{[] {
  return Scenario{
      .id = "runner_ctest_suite",
      .description = "build/dev's test suite (no slow/docs labels) at -j2, warm history",
      .reference = "concur_run_ctest",
      .impls = {{"concur_run_ctest", [] { return run_concur(); }},
                {"ctest",
                 [] {
                   return run_command({require_program("ctest"), "--test-dir", build_dir(), "-j",
                                       "2", "-LE", "slow|docs"},
                                      "", false, /*allow_failure=*/true)
                       .seconds;
                 }},
                {"lower_bound", [] { return lower_bound(); }}},
      .repetitions = 3,
      // The history warmed and a report there before any repetition (the shuffled order may
      // put lower_bound first).
      .setup = [] { run_concur(); },
      .teardown =
          [] {
            ::unlink(scratch("history.json").c_str());
            ::unlink(scratch("report.json").c_str());
          },
  };
}};

}  // namespace
