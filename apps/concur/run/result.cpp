#include "result.hpp"

namespace concur::cli::run {

const char* outcome_name(Outcome o) {
  switch (o) {
    case Outcome::passed:
      return "passed";
    case Outcome::failed:
      return "failed";
    case Outcome::timed_out:
      return "timed_out";
    case Outcome::skipped:
      return "skipped";
    case Outcome::interrupted:
      return "interrupted";
  }
  return "?";
}

Totals total(const std::vector<JobResult>& results, double wall, int interrupted_by, bool halted) {
  Totals t;
  t.jobs = results.size();
  t.wall = wall;
  t.interrupted_by = interrupted_by;
  t.halted = halted;
  for (const auto& r : results) {
    t.job_time += r.runtime;
    t.started += r.started ? 1 : 0;
    t.flaky += r.flaky ? 1 : 0;
    t.leaky += r.leaky ? 1 : 0;
    t.slow += r.slow ? 1 : 0;
    switch (r.outcome) {
      case Outcome::passed:
        ++t.passed;
        break;
      case Outcome::failed:
        ++t.failed;
        break;
      case Outcome::timed_out:
        ++t.timed_out;
        break;
      case Outcome::skipped:
        ++t.skipped;
        break;
      case Outcome::interrupted:
        ++t.interrupted;
        break;
    }
  }
  const std::size_t bad = t.failed + t.timed_out;
  if (interrupted_by != 0)
    t.exit_status = 128 + interrupted_by;
  else
    t.exit_status = bad > 100 ? 101 : static_cast<int>(bad);
  return t;
}

}  // namespace concur::cli::run
