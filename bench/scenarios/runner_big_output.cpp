// runner_big_output: one job printing 1 GiB; the value is the runner's peak RSS in
// MiB (its VmHWM), showing that output spills to a file instead of memory.
#include "runner_support.hpp"

namespace {

using namespace concur::bench;
using namespace concur::bench::runner;

std::string job() {
  return std::string("head -c ") + (quick() ? "67108864" : "1073741824") + " /dev/zero";
}

Register r{[] {
  return Scenario{
      .id = "runner_big_output",
      .description = std::string("one job printing ") + (quick() ? "64 MiB" : "1 GiB") +
                     ": peak RSS of the runner",
      .reference = "concur_run_cli",
      .impls = {{"concur_run_cli",
                 [] {
                   return run_command(
                              {concur_cli(), "run", "-q", "--", "sh", "-c", job(), ":::", "1"}, "",
                              true)
                       .peak_rss_mib;
                 }},
                {"gnu_parallel",
                 [] {
                   return run_command({require_program("parallel"), "--will-cite", "sh", "-c",
                                       job(), ":::", "1"},
                                      "", true)
                       .peak_rss_mib;
                 }}},
      .repetitions = 3,
      .unit = "MiB",
  };
}};

}  // namespace
