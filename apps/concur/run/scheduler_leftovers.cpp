// The scheduler's leak handling: once a job's own process exited, what it left behind
// (found by process group and by the CONCUR_RUN_ID marker, see leftovers.hpp) gets
// leak_timeout to go; then the job is leaky and they are killed.
#include <signal.h>

#include "leftovers.hpp"
#include "scheduler_loop.hpp"

namespace concur::cli::run {

// The job's own process is gone: look for what it left behind.
void SchedulerLoop::exited(ActiveJob& a, int returncode) {
  const auto now = Clock::now();
  a.returncode = returncode;
  a.result.runtime = Seconds(now - a.start).count();
  if (a.stop != StopReason::none || !a.proc->local_process_group()) {
    a.proc->kill_leftovers();  // a stopped job's tree dies with it
    a.phase = Phase::draining;
    a.due = now + ticks(config_.eof_grace);
    return;
  }
  a.phase = Phase::lingering;
  a.due = now + ticks(config_.leak_timeout);
  end_lingering(a, now, false);
}

// Lingering: done when the leftovers are gone; at the deadline they are leaks.
void SchedulerLoop::end_lingering(ActiveJob& a, Clock::time_point now, bool deadline) {
  std::set<pid_t> mains;
  for (const auto& b : running_)
    if (b->main_alive()) mains.insert(b->proc->pid());
  bool uncertain = false;
  const auto left = leftovers_of(*a.proc->local_process_group(), a.marker, mains, &uncertain);
  if (left.empty() && (!uncertain || deadline)) {
    a.phase = Phase::draining;
    a.due = now + ticks(config_.eof_grace);
    return;
  }
  if (!deadline) return;
  a.result.leaky = true;
  for (const pid_t pid : left) a.result.leftovers.push_back(describe_process(pid));
  a.proc->kill_leftovers();
  for (const pid_t pid : left) ::kill(pid, SIGKILL);  // those that left the group too
  a.phase = Phase::draining;
  a.due = now + ticks(config_.eof_grace);
}

}  // namespace concur::cli::run
