// concur run: the event loop. One thread, one poll() over every running job's
// stdout/stderr pipe and a signalfd; no thread and no temporary file per
// job. It starts jobs up to the slot limit, enforces timeouts (SIGTERM to the job's
// process group, SIGKILL after kill_after), reaps jobs and — as a child subreaper —
// the orphans they leave, kills a finished job's leftover group members, stops
// waiting for EOF shortly after a job's own process exits, retries, halts, and on
// SIGINT/SIGTERM stops starting, signals the running groups (SIGKILL on a second
// signal) and reports what finished.
//
//   Scheduler s(config, launcher, plan, hooks);
//   RunReport r = s.run(jobs, skip);       // results in input order
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
  int slots = 1;
  std::optional<std::chrono::duration<double>> timeout;
  std::chrono::duration<double> kill_after{2.0};
  std::chrono::duration<double> eof_grace{0.2};
  int retries = 0;
  HaltPolicy halt;
  bool keep_output = true;  // keep whole outputs (spilling); false: tails only
  std::map<std::string, std::string> base_env;
};

struct SchedulerHooks {
  /// Each chunk a running job prints (stream 1 or 2), as it arrives.
  std::function<void(const JobResult&, int stream, std::string_view)> chunk;
  /// A job's final attempt ended (not called for retried attempts).
  std::function<void(const JobResult&, Capture& out, Capture& err)> finished;
  /// Once per loop turn: finished, running, total.
  std::function<void(std::size_t done, std::size_t running, std::size_t total)> tick;
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

  /// Runs every job whose skip flag is false (skip may be empty).
  RunReport run(const std::vector<JobSpec>& jobs, const std::vector<bool>& skip);

 private:
  SchedulerConfig config_;
  Launcher& launcher_;
  const CommandPlan& plan_;
  SchedulerHooks hooks_;
};

}  // namespace concur::cli::run
