// concur run: the scheduler's event loop, shared by the files that implement it (not a
// public interface): scheduler.cpp (the loop: events, reaping, phases, outcomes, reports),
// scheduler_slots.cpp (slots per launch target, what may start next, launching) and
// scheduler_leftovers.cpp (what a job leaves behind once its own process exited).
//
// Why one poll() loop: a thread or a temporary file per job would dominate the cost of
// short jobs (the goal is xargs's overhead). Children are reaped by peeking with
// waitid(WNOWAIT): a job's own process is reaped through its launcher (which owns it),
// anything else — orphans reparented to us as subreaper — directly.
//
// A job moves through four phases, each with at most one deadline (`due`):
//   running   its process is alive; due: its timeout or its --slow report
//   stopping  timed out or interrupted: asked to stop; due: kill it (kill_after)
//   lingering it exited, leaving processes; due: they are leftovers (leak_timeout)
//   draining  it exited, nothing left; due: stop waiting for its pipes' EOF (eof_grace)
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "scheduler.hpp"
#include "signals.hpp"

namespace concur::cli::run {

using Clock = std::chrono::steady_clock;
constexpr auto kNever = Clock::time_point::max();
constexpr auto kLingerPoll = std::chrono::milliseconds(10);  // leftovers re-checked this often

inline Clock::duration ticks(Seconds s) { return std::chrono::duration_cast<Clock::duration>(s); }

enum class Phase { running, stopping, lingering, draining };
enum class StopReason { none, timed_out, interrupted };

struct ActiveJob {
  std::size_t index = 0;
  JobResult result;
  std::unique_ptr<RunningJob> proc;
  Capture out, err;
  Clock::time_point start;
  Phase phase = Phase::running;
  StopReason stop = StopReason::none;
  Clock::time_point due = kNever;
  Clock::time_point timeout_at = kNever, slow_at = kNever;  // inputs of `due` while running
  int returncode = 0;
  std::vector<int> more_slots;  // held besides result.slot (ctest PROCESSORS)
  std::string marker;           // CONCUR_RUN_ID=...: finds leftovers that left the process group

  bool pipes_open() const { return proc->stdout_fd() >= 0 || proc->stderr_fd() >= 0; }
  bool main_alive() const { return phase == Phase::running || phase == Phase::stopping; }
};

class SchedulerLoop {
 public:
  SchedulerLoop(const SchedulerConfig& c, Launcher& l, const CommandPlan& p,
                const SchedulerHooks& h, const std::vector<JobSpec>& jobs,
                const std::vector<std::size_t>& order)
      : config_(c), launcher_(l), plan_(p), hooks_(h), jobs_(jobs), order_(order) {}

  RunReport run();

 private:
  void setup_slots();
  void start_jobs();
  bool may_start(std::size_t index) const;
  std::size_t slots_needed(std::size_t index) const;
  std::optional<std::size_t> next_startable() const;
  void resolve_dependencies();
  std::optional<std::string> failed_fixture(std::size_t index) const;
  void not_run(std::size_t index, std::string why);
  void launch(std::size_t index, int attempts);
  void wait_for_events(SignalFd& sigs);
  void read_stream(ActiveJob& a, int stream);
  void reap_children();
  void exited(ActiveJob& a, int returncode);
  void advance(ActiveJob& a, Clock::time_point now);
  void begin_stop(ActiveJob& a, StopReason why, Clock::time_point now);
  void end_lingering(ActiveJob& a, Clock::time_point now, bool deadline);
  void on_signal(int sig);
  void stop_all(bool kill_now);
  void retire_finished(Clock::time_point now);
  void finish(std::unique_ptr<ActiveJob> a);
  void judge_outcome(ActiveJob& a) const;
  bool count_failure();
  JobResult unstarted_result(std::size_t index) const;
  int next_timeout_ms(Clock::time_point now) const;
  Snapshot snapshot(Clock::time_point now) const;
  RunReport report();

  const SchedulerConfig& config_;
  Launcher& launcher_;
  const CommandPlan& plan_;
  const SchedulerHooks& hooks_;
  const std::vector<JobSpec>& jobs_;
  const std::vector<std::size_t>& order_;

  std::vector<std::optional<JobResult>> results_;
  std::vector<std::vector<Attempt>> failed_attempts_;
  std::vector<std::unique_ptr<ActiveJob>> running_;
  std::deque<std::pair<std::size_t, int>> retry_;  // index, attempts so far
  std::set<int> free_slots_;
  std::size_t slot_count_ = 0;            // all targets' slots
  std::vector<std::size_t> slot_target_;  // slot -> launcher target
  std::string run_id_;
  std::size_t launches_ = 0;
  std::vector<std::size_t> pending_;             // not started yet, in start order
  std::vector<std::vector<std::size_t>> after_;  // per job: the jobs it waits for
  // per job: its required fixtures' setup jobs (fixture name, job)
  std::vector<std::vector<std::pair<std::string, std::size_t>>> setups_;
  std::set<std::string> locks_held_;  // RESOURCE_LOCKs of running jobs
  std::size_t done_ = 0, to_run_ = 0, failures_ = 0, passed_ = 0, flaky_ = 0;
  bool stop_starting_ = false, halted_ = false, serial_running_ = false;
  int interrupted_by_ = 0, signals_seen_ = 0;
  Clock::time_point run_start_;
  double epoch_at_start_ = 0;
  double finished_runtime_ = 0;  // sum over finished jobs (for unknown jobs' ETA)
  std::vector<char> buf_ = std::vector<char>(1 << 16);
};

}  // namespace concur::cli::run
