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

/// One failed attempt of a job that was retried (JUnit <flakyFailure>).
struct Attempt {
  Outcome outcome = Outcome::failed;  // failed or timed_out
  int exit_status = 0, signal = 0;
  double runtime = 0;
  std::string stderr_tail;
};

struct JobResult {
  std::size_t seq = 0;
  std::vector<std::string> values;
  std::string name;     // the test's name, else the command as displayed
  std::string command;  // as displayed
  std::optional<std::string> cwd;
  Outcome outcome = Outcome::skipped;
  bool started = false;
  int slot = 0;
  std::string host = ":";  // where it ran (the joblog's Host column)
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
  std::string reason;  // why it failed or was skipped, beyond its exit status (ctest's rules)
  std::vector<std::string> labels;       // ctest LABELS
  bool flaky = false;                    // failed, then passed on a retry
  std::vector<Attempt> failed_attempts;  // the attempts before the last one
  bool leaky = false;                    // left processes behind after its main process exited
  std::vector<std::string> leftovers;    // those processes: "PID NAME ARGS"
  bool slow = false;                     // still running after --slow
  std::size_t repeat = 0;                // --repeat: which run of the job (0-based)
};

struct Totals {
  std::size_t jobs = 0, passed = 0, failed = 0, timed_out = 0, skipped = 0, interrupted = 0;
  std::size_t started = 0, flaky = 0, leaky = 0, slow = 0;
  double wall = 0, job_time = 0;
  int exit_status = 0;
  int interrupted_by = 0;  // SIGINT / SIGTERM, or 0
  bool halted = false;
};

/// Counts outcomes and sums times; exit_status as GNU parallel (0, failures up to 100, 101).
Totals total(const std::vector<JobResult>& results, double wall, int interrupted_by, bool halted);

}  // namespace concur::cli::run
