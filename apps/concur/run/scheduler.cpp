// The scheduler's event loop (see scheduler_loop.hpp for its phases): waiting for events,
// reaping, timeouts and signals, outcomes, retries, the live view's snapshot and the report.
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "leftovers.hpp"
#include "scheduler_loop.hpp"

namespace concur::cli::run {

void SchedulerLoop::wait_for_events(SignalFd& sigs) {
  std::vector<pollfd> fds;
  std::vector<std::pair<ActiveJob*, int>> owners;
  fds.push_back({sigs.fd(), POLLIN, 0});
  owners.emplace_back(nullptr, 0);
  for (auto& a : running_) {
    if (a->proc->stdout_fd() >= 0) {
      fds.push_back({a->proc->stdout_fd(), POLLIN, 0});
      owners.emplace_back(a.get(), 1);
    }
    if (a->proc->stderr_fd() >= 0) {
      fds.push_back({a->proc->stderr_fd(), POLLIN, 0});
      owners.emplace_back(a.get(), 2);
    }
  }
  const int n = ::poll(fds.data(), fds.size(), next_timeout_ms(Clock::now()));
  if (n <= 0) return;
  for (std::size_t i = 1; i < fds.size(); ++i)
    if (fds[i].revents != 0) read_stream(*owners[i].first, owners[i].second);
  if (fds[0].revents != 0)
    for (const int sig : sigs.drain()) on_signal(sig);
}

void SchedulerLoop::read_stream(ActiveJob& a, int stream) {
  const int fd = stream == 1 ? a.proc->stdout_fd() : a.proc->stderr_fd();
  const ssize_t n = ::read(fd, buf_.data(), buf_.size());
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (n <= 0) {
    stream == 1 ? a.proc->close_stdout() : a.proc->close_stderr();
    return;
  }
  const auto len = static_cast<std::size_t>(n);
  (stream == 1 ? a.out : a.err).append(buf_.data(), len);
  if (hooks_.chunk) hooks_.chunk(a.result, stream, std::string_view(buf_.data(), len));
}

void SchedulerLoop::reap_children() {
  for (;;) {
    siginfo_t si{};
    if (::waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) != 0 || si.si_pid == 0) return;
    ActiveJob* job = nullptr;
    for (auto& a : running_)
      if (a->main_alive() && a->proc->pid() == si.si_pid) job = a.get();
    if (job == nullptr) {
      ::waitpid(si.si_pid, nullptr, WNOHANG);  // an orphan of some job: reap it
      continue;
    }
    const auto rc = job->proc->try_reap();
    if (!rc) return;  // should not happen; try again on the next turn
    exited(*job, *rc);
  }
}

void SchedulerLoop::begin_stop(ActiveJob& a, StopReason why, Clock::time_point now) {
  a.stop = why;
  a.phase = Phase::stopping;
  a.proc->terminate();
  a.due = now + ticks(config_.kill_after);
}

void SchedulerLoop::advance(ActiveJob& a, Clock::time_point now) {
  switch (a.phase) {
    case Phase::running:
      if (now >= a.timeout_at) {
        begin_stop(a, StopReason::timed_out, now);
      } else if (now >= a.slow_at) {
        a.result.slow = true;
        a.slow_at = kNever;
        a.due = a.timeout_at;
        if (hooks_.slow) hooks_.slow(a.result, Seconds(now - a.start).count());
      }
      return;
    case Phase::stopping:
      if (now >= a.due) exited(a, a.proc->kill());
      return;
    case Phase::lingering:
      end_lingering(a, now, now >= a.due);
      return;
    case Phase::draining:
      if (a.pipes_open() && now >= a.due) {
        a.result.output_held_open = true;
        a.proc->close_stdout();
        a.proc->close_stderr();
      }
      return;
  }
}

void SchedulerLoop::stop_all(bool kill_now) {
  const auto now = Clock::now();
  for (auto& a : running_) {
    if (a->phase == Phase::lingering) {
      a->proc->kill_leftovers();
      a->phase = Phase::draining;
      a->due = now + ticks(config_.eof_grace);
    }
    if (!a->main_alive()) continue;
    if (a->stop != StopReason::timed_out) a->stop = StopReason::interrupted;
    if (kill_now)
      exited(*a, a->proc->kill());
    else if (a->phase == Phase::running)
      begin_stop(*a, StopReason::interrupted, now);
  }
}

void SchedulerLoop::on_signal(int sig) {
  if (sig == SIGCHLD) return;  // the reaping after every turn handles it
  ++signals_seen_;
  if (interrupted_by_ == 0) interrupted_by_ = sig;
  stop_starting_ = true;
  stop_all(signals_seen_ > 1);
}

void SchedulerLoop::retire_finished(Clock::time_point now) {
  for (auto& a : running_) advance(*a, now);
  for (std::size_t i = 0; i < running_.size();) {
    ActiveJob& a = *running_[i];
    if (a.phase != Phase::draining || a.pipes_open()) {
      ++i;
      continue;
    }
    auto done = std::move(running_[i]);
    running_.erase(running_.begin() + static_cast<std::ptrdiff_t>(i));
    finish(std::move(done));
  }
}

void SchedulerLoop::finish(std::unique_ptr<ActiveJob> a) {
  JobResult& r = a->result;
  free_slots_.insert(r.slot);
  free_slots_.insert(a->more_slots.begin(), a->more_slots.end());
  if (jobs_[a->index].serial) serial_running_ = false;
  for (const auto& lock : jobs_[a->index].locks) locks_held_.erase(lock);
  if (r.runtime == 0) r.runtime = Seconds(Clock::now() - a->start).count();
  r.signal = a->returncode < 0 ? -a->returncode : 0;
  r.exit_status = a->returncode < 0 ? 128 + r.signal : a->returncode;
  if (a->stop == StopReason::interrupted)
    r.outcome = Outcome::interrupted;
  else if (a->stop == StopReason::timed_out)
    r.outcome = Outcome::timed_out;
  else
    judge_outcome(*a);
  const bool bad = r.outcome == Outcome::failed || r.outcome == Outcome::timed_out;
  auto& earlier = failed_attempts_[a->index];
  if (bad && r.attempts <= config_.retries && !stop_starting_) {
    earlier.push_back({r.outcome, r.exit_status, r.signal, r.runtime, a->err.tail_lines(20)});
    retry_.emplace_back(a->index, r.attempts);
    return;
  }
  r.failed_attempts = std::move(earlier);
  r.flaky = r.outcome == Outcome::passed && !r.failed_attempts.empty();
  r.stdout_bytes = a->out.size();
  r.stderr_bytes = a->err.size();
  r.stdout_tail = a->out.tail();
  r.stderr_tail = a->err.tail();
  ++done_;
  finished_runtime_ += r.runtime;
  passed_ += r.outcome == Outcome::passed ? 1 : 0;
  flaky_ += r.flaky ? 1 : 0;
  if (hooks_.finished) hooks_.finished(r, a->out, a->err);
  results_[a->index] = std::move(r);
  if (bad && count_failure() && config_.halt.when == HaltPolicy::When::now) stop_all(false);
}

// Passed or failed by its exit status, or by its suite's own rules (ctest's WILL_FAIL...).
void SchedulerLoop::judge_outcome(ActiveJob& a) const {
  JobResult& r = a.result;
  const PassRules& rules = jobs_[a.index].rules;
  Verdict v{a.returncode == 0 ? Outcome::passed : Outcome::failed, {}};
  if (r.error.empty() && !rules.trivial()) {
    std::string output;  // both streams, bounded: beyond 4 MiB (or under -q) their tails
    if (rules.needs_output()) {
      if (a.out.keeps_all() && a.out.size() + a.err.size() <= (std::size_t{4} << 20)) {
        const auto add = [&](std::string_view chunk) { output.append(chunk); };
        a.out.replay(add);
        a.err.replay(add);
      } else {
        output = a.out.tail() + "\n" + a.err.tail();
      }
    }
    v = judge(rules, a.returncode, output);
  }
  if (v.outcome == Outcome::passed && r.leaky && !config_.allow_leaks) v.outcome = Outcome::failed;
  r.outcome = v.outcome;
  r.reason = std::move(v.reason);
}

// Counts a failure; true when it makes the run halt.
bool SchedulerLoop::count_failure() {
  ++failures_;
  const HaltPolicy& h = config_.halt;
  if (h.when == HaltPolicy::When::never || halted_) return false;
  const bool reached = h.fail_percent >= 0 ? static_cast<double>(failures_) * 100.0 >=
                                                 h.fail_percent * static_cast<double>(to_run_)
                                           : static_cast<int>(failures_) >= h.fail_count;
  if (!reached) return false;
  halted_ = true;
  stop_starting_ = true;
  return true;
}

int SchedulerLoop::next_timeout_ms(Clock::time_point now) const {
  auto next = kNever;
  for (const auto& a : running_) {
    next = std::min(next, a->due);
    if (a->phase == Phase::lingering) next = std::min(next, now + kLingerPoll);
  }
  int ms = hooks_.tick ? 100 : -1;
  if (next != kNever) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(next - now).count();
    const int l = static_cast<int>(std::clamp<long long>(left, 0, 1 << 30));
    ms = ms < 0 ? l : std::min(ms, l);
  }
  return ms;
}

Snapshot SchedulerLoop::snapshot(Clock::time_point now) const {
  Snapshot s;
  s.done = done_;
  s.total = to_run_;
  s.passed = passed_;
  s.failed = failures_;
  s.flaky = flaky_;
  s.elapsed_s = Seconds(now - run_start_).count();
  for (const auto& a : running_) s.running.push_back({&a->result, Seconds(now - a->start).count()});
  if (config_.expected.empty()) return s;
  // ETA: the work left spread over the slots, but never before the longest job left ends.
  double known = 0, n_known = 0;
  for (const double e : config_.expected) {
    if (e < 0) continue;
    known += e;
    ++n_known;
  }
  const double guess = done_ > 0     ? finished_runtime_ / static_cast<double>(done_)
                       : n_known > 0 ? known / n_known
                                     : -1;
  if (guess < 0) return s;
  const auto expect = [&](std::size_t i) {
    return config_.expected[i] >= 0 ? config_.expected[i] : guess;
  };
  double work = 0, longest = 0;
  for (const auto& a : running_) {
    const double left = std::max(0.0, expect(a->index) - Seconds(now - a->start).count());
    work += left;
    longest = std::max(longest, left);
  }
  for (const std::size_t index : pending_) work += expect(index);
  for (const auto& [index, attempts] : retry_) work += expect(index);
  const double slots = static_cast<double>(std::max<std::size_t>(1, slot_target_.size() - 1));
  s.eta_s = std::max(longest, work / slots);
  return s;
}

// A job that did not start: skipped unless said otherwise.
JobResult SchedulerLoop::unstarted_result(std::size_t index) const {
  JobResult r;
  r.seq = jobs_[index].seq;
  r.values = jobs_[index].values;
  r.command = plan_.expand(jobs_[index], 0).display;
  r.name = jobs_[index].name.empty() ? r.command : jobs_[index].name;
  r.labels = jobs_[index].labels;
  r.repeat = jobs_[index].repeat;
  return r;
}

RunReport SchedulerLoop::report() {
  RunReport report;
  report.wall = Seconds(Clock::now() - run_start_).count();
  report.interrupted_by = interrupted_by_;
  report.halted = halted_;
  report.results.reserve(jobs_.size());
  std::vector<bool> wanted(jobs_.size(), false);
  for (const std::size_t i : order_) wanted[i] = !jobs_[i].disabled;
  for (std::size_t i = 0; i < jobs_.size(); ++i) {
    if (results_[i]) {
      report.results.push_back(std::move(*results_[i]));
      continue;
    }
    JobResult r = unstarted_result(i);
    r.outcome = interrupted_by_ != 0 && wanted[i] ? Outcome::interrupted : Outcome::skipped;
    report.results.push_back(std::move(r));
  }
  return report;
}

RunReport SchedulerLoop::run() {
  run_start_ = Clock::now();
  epoch_at_start_ =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  run_id_ = std::to_string(::getpid());
  results_.resize(jobs_.size());
  failed_attempts_.resize(jobs_.size());
  for (const std::size_t i : order_)
    if (!jobs_[i].disabled) pending_.push_back(i);
  to_run_ = pending_.size();
  resolve_dependencies();
  setup_slots();
  ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  SignalFd sigs;
  for (;;) {
    start_jobs();
    if (running_.empty() && (stop_starting_ || (pending_.empty() && retry_.empty()))) break;
    wait_for_events(sigs);
    reap_children();
    const auto now = Clock::now();
    retire_finished(now);
    if (hooks_.tick) hooks_.tick(snapshot(now));
  }
  // Processes that escaped their job unattributed were reparented to us: end them.
  reap_children();
  kill_escaped_children();
  return report();
}

RunReport Scheduler::run(const std::vector<JobSpec>& jobs, const std::vector<std::size_t>& order) {
  SchedulerLoop loop(config_, launcher_, plan_, hooks_, jobs, order);
  return loop.run();
}

}  // namespace concur::cli::run
