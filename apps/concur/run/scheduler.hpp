// concur run: the event loop. One thread, one poll() over every running job's
// stdout/stderr pipe and a signalfd; no thread and no temporary file per job. It starts
// jobs in the given order up to the slot limit (a RUN_SERIAL job alone, no two holders of
// a RESOURCE_LOCK at once, a job after those it depends on), enforces
// timeouts (terminate the job's tree, kill it after kill_after), reaps jobs and — as a
// child subreaper — the orphans they leave; once a job's own process exited, processes
// it left behind get leak_timeout to go before they are killed and the job is leaky;
// it stops waiting for EOF shortly after, retries (a job that fails then passes is
// flaky), reports jobs running longer than `slow`, halts, and on SIGINT/SIGTERM stops
// starting, stops the running jobs (killing them on a second signal) and reports what
// finished.
//
//   Scheduler s(config, launcher, plan, hooks);
//   RunReport r = s.run(jobs, order);     // results in input order
//
// Not thread-safe; one run per process at a time (it installs signal handlers).
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "capture.hpp"
#include "jobs.hpp"
#include "launcher.hpp"
#include "options.hpp"
#include "result.hpp"

namespace concur::cli::run {

struct SchedulerConfig {
  int slots = 1;  // per target with LaunchTarget::slots == 0; 0 = one per job
  std::optional<Seconds> timeout;
  Seconds kill_after{2.0};
  Seconds eof_grace{0.2};
  Seconds leak_timeout{0.1};
  bool allow_leaks = false;
  std::optional<Seconds> slow;
  int retries = 0;
  HaltPolicy halt;
  bool keep_output = true;       // keep whole outputs (spilling); false: tails only
  std::vector<double> expected;  // per job: seconds from history, < 0 unknown (for the ETA)
};

/// What the live view shows, once per loop turn.
struct Snapshot {
  std::size_t done = 0, total = 0, passed = 0, failed = 0, flaky = 0;
  struct Running {
    const JobResult* job;
    double elapsed_s;
  };
  std::vector<Running> running;
  std::optional<double> eta_s;  // from the history, when every job left has one
  double elapsed_s = 0;
};

struct SchedulerHooks {
  /// Each chunk a running job prints (stream 1 or 2), as it arrives.
  std::function<void(const JobResult&, int stream, std::string_view)> chunk;
  /// A job's final attempt ended (not called for retried attempts).
  std::function<void(const JobResult&, Capture& out, Capture& err)> finished;
  /// A job is still running after --slow.
  std::function<void(const JobResult&, double elapsed_s)> slow;
  /// Once per loop turn.
  std::function<void(const Snapshot&)> tick;
};

struct RunReport {
  std::vector<JobResult> results;
  double wall = 0;
  int interrupted_by = 0;
  bool halted = false;
};

class Scheduler {
 public:
  Scheduler(SchedulerConfig config, Launcher& launcher, const CommandPlan& plan,
            SchedulerHooks hooks)
      : config_(std::move(config)), launcher_(launcher), plan_(plan), hooks_(std::move(hooks)) {}

  /// Runs the jobs listed in `order` (indices into `jobs`, in start order); the others
  /// are reported skipped. Disabled jobs are reported skipped without running.
  RunReport run(const std::vector<JobSpec>& jobs, const std::vector<std::size_t>& order);

 private:
  SchedulerConfig config_;
  Launcher& launcher_;
  const CommandPlan& plan_;
  SchedulerHooks hooks_;
};

}  // namespace concur::cli::run
