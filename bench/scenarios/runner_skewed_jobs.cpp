// runner_skewed_jobs: 40 sleep jobs with heavy-tailed durations (Pareto, fixed seed, ~8 s in
// all) at -j4, in a shuffled order with the longest job last (the worst case for starting
// jobs in input order). concur run with a warm --history (longest first) against concur
// run without one and GNU parallel; the lower_bound row is max(sum / 4, longest), the best
// any scheduler can do.
#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <numeric>
#include <random>

#include <fmt/format.h>

#include "runner_support.hpp"

namespace {

using namespace concur::bench;
using namespace concur::bench::runner;

constexpr int kSlots = 4;

std::vector<double> durations() {
  static const std::vector<double> d = [] {
    std::mt19937 rng(20261202);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    std::vector<double> v;
    for (int i = 0; i < 40; ++i) v.push_back(1.0 / std::pow(1.0 - u(rng), 1.0 / 1.3));  // Pareto
    const double total = quick() ? 2.0 : 8.0;
    const double scale = total / std::accumulate(v.begin(), v.end(), 0.0);
    for (double& x : v) x = std::round(x * scale * 1000) / 1000;
    std::shuffle(v.begin(), v.end(), rng);
    std::iter_swap(std::max_element(v.begin(), v.end()), v.end() - 1);  // longest last
    return v;
  }();
  return d;
}

std::string dir() {
  static const std::string d = "/tmp/concur-bench-skewed-" + std::to_string(::getpid());
  return d;
}

std::string jobs_file() { return dir() + "/jobs.txt"; }
std::string history_file() { return dir() + "/history.json"; }

double lower_bound() {
  const auto d = durations();
  return std::max(std::accumulate(d.begin(), d.end(), 0.0) / kSlots,
                  *std::max_element(d.begin(), d.end()));
}

Register r{[] {
  return Scenario{
      .id = "runner_skewed_jobs",
      .description = "40 sleep jobs, heavy-tailed durations, -j4, longest last",
      .reference = "concur_run_history",
      .impls = {{"concur_run_history",
                 [] {
                   return run_command({concur_cli(), "run", "-q", "-j", "4", "--history",
                                       history_file(), "--jobs-file", jobs_file()})
                       .seconds;
                 }},
                {"concur_run_no_history",
                 [] {
                   return run_command(
                              {concur_cli(), "run", "-q", "-j", "4", "--jobs-file", jobs_file()})
                       .seconds;
                 }},
                {"gnu_parallel",
                 [] {
                   return run_command({require_program("parallel"), "--will-cite", "-j", "4"},
                                      jobs_file())
                       .seconds;
                 }},
                {"lower_bound", [] { return lower_bound(); }}},
      .repetitions = 3,
      .setup =
          [] {
            ::mkdir(dir().c_str(), 0700);
            std::ofstream f(jobs_file());
            for (const double d : durations()) f << fmt::format("sleep {:.3f}\n", d);
            f.close();
            // Warm the history: one run records every job's duration.
            run_command({concur_cli(), "run", "-q", "-j", "4", "--history", history_file(),
                         "--jobs-file", jobs_file()});
          },
      .teardown =
          [] {
            ::unlink(jobs_file().c_str());
            ::unlink(history_file().c_str());
            ::rmdir(dir().c_str());
          },
  };
}};

}  // namespace
