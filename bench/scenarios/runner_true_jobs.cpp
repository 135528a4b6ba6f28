// runner_true_jobs: 500 jobs of `true` at 2 parallel jobs — the per-job overhead of
// concur run against xargs -P 2 (the floor: fork+exec, no capture) and GNU parallel.
#include <fstream>

#include "runner_support.hpp"

namespace {

using namespace concur::bench;
using namespace concur::bench::runner;

std::string input_file() {
  static const std::string path = [] {
    const std::string p = "/tmp/concur-bench-runner-true-" + std::to_string(::getpid());
    std::ofstream f(p);
    for (int i = 1; i <= (quick() ? 50 : 500); ++i) f << i << '\n';
    return p;
  }();
  return path;
}

Register r{[] {
  return Scenario{
      .id = "runner_true_jobs",
      .description = std::string(quick() ? "50" : "500") + " x `true` at 2 parallel jobs",
      .reference = "concur_run_cli",
      .impls = {{"concur_run_cli",
                 [] {
                   return run_command({concur_cli(), "run", "-q", "-j", "2", "true"}, input_file())
                       .seconds;
                 }},
                {"xargs",
                 [] {
                   return run_command({require_program("xargs"), "-P", "2", "-n", "1", "true"},
                                      input_file())
                       .seconds;
                 }},
                {"gnu_parallel",
                 [] {
                   return run_command(
                              {require_program("parallel"), "--will-cite", "-j", "2", "true"},
                              input_file())
                       .seconds;
                 }}},
      .repetitions = 3,
      .teardown = [] { ::unlink(input_file().c_str()); },
  };
}};

}  // namespace
