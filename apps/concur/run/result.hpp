// concur run: what is known about one job once the run is over, and the run's totals.
// Plain data shared by the scheduler, the printer, the summary and the reports.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace concur::cli::run {

enum class Outcome { passed, failed, timed_out, skipped, interrupted };

/// "passed", "failed", "timed_out", "skipped", "interrupted".
const char* outcome_name(Outcome o);

struct JobResult {
  std::size_t seq = 0;
  std::vector<std::string> values;
  std::string command;  // as displayed
  std::optional<std::string> cwd;
  Outcome outcome = Outcome::skipped;
  bool started = false;
  int slot = 0;
  int attempts = 0;
  double start_epoch = 0;   // seconds since the epoch (joblog Starttime)
  double start_offset = 0;  // seconds since the run started (timeline)
  double runtime = 0;       // seconds
  int exit_status = 0;      // valid when signal == 0
  int signal = 0;           // killed by this signal
  std::size_t stdout_bytes = 0, stderr_bytes = 0;
  std::string stdout_tail, stderr_tail;  // the last bytes (raw; escape before reporting)
  bool output_held_open = false;         // a leftover process kept the output pipe open
  std::string error;                     // could not start: why
};

struct Totals {
  std::size_t jobs = 0, passed = 0, failed = 0, timed_out = 0, skipped = 0, interrupted = 0;
  double wall = 0, job_time = 0;
  int exit_status = 0;
  int interrupted_by = 0;  // SIGINT / SIGTERM, or 0
  bool halted = false;
};

/// Counts outcomes and sums times; exit_status as GNU parallel (0, failures up to 100, 101).
Totals total(const std::vector<JobResult>& results, double wall, int interrupted_by, bool halted);

}  // namespace concur::cli::run
