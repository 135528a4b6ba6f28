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
#include "scheduler.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <deque>
#include <map>
#include <memory>
#include <set>

#include "leftovers.hpp"
#include "signals.hpp"

namespace concur::cli::run {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kNever = Clock::time_point::max();
constexpr auto kLingerPoll = std::chrono::milliseconds(10);  // leftovers re-checked this often

Clock::duration ticks(Seconds s) { return std::chrono::duration_cast<Clock::duration>(s); }

enum class Phase { running, stopping, lingering, draining };
enum class StopReason { none, timed_out, interrupted };

struct Active {
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
  std::string marker;  // CONCUR_RUN_ID=...: finds leftovers that left the process group

  bool pipes_open() const { return proc->stdout_fd() >= 0 || proc->stderr_fd() >= 0; }
  bool main_alive() const { return phase == Phase::running || phase == Phase::stopping; }
};

class Loop {
 public:
  Loop(const SchedulerConfig& c, Launcher& l, const CommandPlan& p, const SchedulerHooks& h,
       const std::vector<JobSpec>& jobs, const std::vector<std::size_t>& order)
      : config_(c), launcher_(l), plan_(p), hooks_(h), jobs_(jobs), order_(order) {}

  RunReport run();

 private:
  void setup_slots();
  void start_jobs();
  bool may_start(std::size_t index) const;
  std::optional<std::size_t> next_startable() const;
  void resolve_dependencies();
  void launch(std::size_t index, int attempts);
  void wait_for_events(SignalFd& sigs);
  void read_stream(Active& a, int stream);
  void reap_children();
  void exited(Active& a, int returncode);
  void advance(Active& a, Clock::time_point now);
  void begin_stop(Active& a, StopReason why, Clock::time_point now);
  void end_lingering(Active& a, Clock::time_point now, bool deadline);
  void on_signal(int sig);
  void stop_all(bool kill_now);
  void retire_finished(Clock::time_point now);
  void finish(std::unique_ptr<Active> a);
  bool count_failure();
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
  std::vector<std::unique_ptr<Active>> running_;
  std::deque<std::pair<std::size_t, int>> retry_;  // index, attempts so far
  std::set<int> free_slots_;
  std::vector<std::size_t> slot_target_;  // slot -> launcher target
  std::string run_id_;
  std::size_t launches_ = 0;
  std::vector<std::size_t> pending_;             // not started yet, in start order
  std::vector<std::vector<std::size_t>> after_;  // per job: the jobs it waits for
  std::set<std::string> locks_held_;             // RESOURCE_LOCKs of running jobs
  std::size_t done_ = 0, to_run_ = 0, failures_ = 0, passed_ = 0, flaky_ = 0;
  bool stop_starting_ = false, halted_ = false, serial_running_ = false;
  int interrupted_by_ = 0, signals_seen_ = 0;
  Clock::time_point run_start_;
  double epoch_at_start_ = 0;
  double finished_runtime_ = 0;  // sum over finished jobs (for unknown jobs' ETA)
  std::vector<char> buf_ = std::vector<char>(1 << 16);
};

void Loop::setup_slots() {
  const auto targets = launcher_.targets();
  slot_target_.push_back(0);  // slots are 1-based
  for (std::size_t t = 0; t < targets.size(); ++t) {
    const int n = targets[t].slots > 0 ? targets[t].slots
                  : config_.slots > 0  ? config_.slots
                                       : static_cast<int>(std::max<std::size_t>(1, to_run_));
    for (int s = 0; s < n; ++s) {
      free_slots_.insert(static_cast<int>(slot_target_.size()));
      slot_target_.push_back(t);
    }
  }
}

bool Loop::may_start(std::size_t index) const {
  const JobSpec& job = jobs_[index];
  if (serial_running_ || (job.serial && !running_.empty())) return false;
  for (const auto& lock : job.locks)
    if (locks_held_.count(lock) > 0) return false;
  for (const std::size_t before : after_[index])
    if (!results_[before]) return false;
  return true;
}

// The first pending job (in start order) that may start now; with nothing running and
// nothing startable (a dependency cycle), the first pending job anyway.
std::optional<std::size_t> Loop::next_startable() const {
  for (std::size_t k = 0; k < pending_.size(); ++k)
    if (may_start(pending_[k])) return k;
  if (running_.empty() && !pending_.empty()) return 0;
  return std::nullopt;
}

void Loop::start_jobs() {
  while (!stop_starting_ && !free_slots_.empty()) {
    if (!retry_.empty()) {
      const auto [index, attempts] = retry_.front();
      if (!may_start(index) && !running_.empty()) return;
      retry_.pop_front();
      launch(index, attempts);
      continue;
    }
    const auto k = next_startable();
    if (!k) return;
    const std::size_t index = pending_[*k];
    pending_.erase(pending_.begin() + static_cast<std::ptrdiff_t>(*k));
    launch(index, 0);
  }
}

// Which jobs each job waits for: its DEPENDS and the setup tests of the fixtures it
// requires (only those in this run); a fixture's cleanup tests wait for every user.
void Loop::resolve_dependencies() {
  after_.assign(jobs_.size(), {});
  std::map<std::string, std::vector<std::size_t>> by_name, setups, users;
  for (const std::size_t i : pending_) {
    by_name[jobs_[i].name].push_back(i);
    for (const auto& f : jobs_[i].fixtures_setup) setups[f].push_back(i);
    for (const auto& f : jobs_[i].fixtures_required) users[f].push_back(i);
  }
  for (const std::size_t i : pending_) {
    auto& after = after_[i];
    for (const auto& name : jobs_[i].depends)
      for (const std::size_t d : by_name[name]) after.push_back(d);
    for (const auto& f : jobs_[i].fixtures_required)
      for (const std::size_t d : setups[f]) after.push_back(d);
    for (const auto& f : jobs_[i].fixtures_cleanup)
      for (const std::size_t d : users[f])
        if (d != i) after.push_back(d);
    std::erase(after, i);
  }
}

void Loop::launch(std::size_t index, int attempts) {
  const JobSpec& spec = jobs_[index];
  auto a = std::make_unique<Active>();
  a->index = index;
  a->out = Capture(Capture::kDefaultLimit, config_.keep_output);
  a->err = Capture(Capture::kDefaultLimit, config_.keep_output);
  const int slot = *free_slots_.begin();
  free_slots_.erase(free_slots_.begin());
  const Command cmd = plan_.expand(spec, slot);
  JobResult& r = a->result;
  r.seq = spec.seq;
  r.values = spec.values;
  r.name = spec.name.empty() ? cmd.display : spec.name;
  r.command = cmd.display;
  r.cwd = cmd.cwd;
  r.labels = spec.labels;
  r.repeat = spec.repeat;
  r.slot = slot;
  r.started = true;
  r.attempts = attempts + 1;
  a->start = Clock::now();
  r.start_offset = Seconds(a->start - run_start_).count();
  r.start_epoch = epoch_at_start_ + r.start_offset;
  const std::string id = run_id_ + "-" + std::to_string(++launches_);
  a->marker = "CONCUR_RUN_ID=" + id;
  LaunchSpec ls;
  ls.argv = cmd.argv;
  ls.shell = cmd.shell;
  ls.cwd = cmd.cwd;
  for (const auto& [k, v] : cmd.env) ls.env[k] = v;
  ls.env["CONCUR_JOB"] = std::to_string(spec.seq);
  ls.env["CONCUR_SLOT"] = std::to_string(slot);
  ls.env["CONCUR_RUN_ID"] = id;
  ls.target = slot_target_[static_cast<std::size_t>(slot)];
  ls.name = r.name;
  ls.timeout = spec.timeout ? spec.timeout : config_.timeout;
  serial_running_ = spec.serial;
  for (const auto& lock : spec.locks) locks_held_.insert(lock);
  try {
    a->proc = launcher_.start(ls);
  } catch (const LaunchError& e) {
    r.error = e.what();
    const std::string msg = "concur run: cannot start job: " + r.error + "\n";
    a->err.append(msg.data(), msg.size());
    a->returncode = 127;
    finish(std::move(a));
    return;
  }
  r.host = a->proc->host();
  if (ls.timeout) a->timeout_at = a->start + ticks(*ls.timeout);
  if (config_.slow) a->slow_at = a->start + ticks(*config_.slow);
  a->due = std::min(a->timeout_at, a->slow_at);
  running_.push_back(std::move(a));
}

void Loop::wait_for_events(SignalFd& sigs) {
  std::vector<pollfd> fds;
  std::vector<std::pair<Active*, int>> owners;
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

void Loop::read_stream(Active& a, int stream) {
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

void Loop::reap_children() {
  for (;;) {
    siginfo_t si{};
    if (::waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) != 0 || si.si_pid == 0) return;
    Active* job = nullptr;
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

// The job's own process is gone: look for what it left behind.
void Loop::exited(Active& a, int returncode) {
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
void Loop::end_lingering(Active& a, Clock::time_point now, bool deadline) {
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

void Loop::begin_stop(Active& a, StopReason why, Clock::time_point now) {
  a.stop = why;
  a.phase = Phase::stopping;
  a.proc->terminate();
  a.due = now + ticks(config_.kill_after);
}

void Loop::advance(Active& a, Clock::time_point now) {
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

void Loop::stop_all(bool kill_now) {
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

void Loop::on_signal(int sig) {
  if (sig == SIGCHLD) return;  // the reaping after every turn handles it
  ++signals_seen_;
  if (interrupted_by_ == 0) interrupted_by_ = sig;
  stop_starting_ = true;
  stop_all(signals_seen_ > 1);
}

void Loop::retire_finished(Clock::time_point now) {
  for (auto& a : running_) advance(*a, now);
  for (std::size_t i = 0; i < running_.size();) {
    Active& a = *running_[i];
    if (a.phase != Phase::draining || a.pipes_open()) {
      ++i;
      continue;
    }
    auto done = std::move(running_[i]);
    running_.erase(running_.begin() + static_cast<std::ptrdiff_t>(i));
    finish(std::move(done));
  }
}

void Loop::finish(std::unique_ptr<Active> a) {
  JobResult& r = a->result;
  free_slots_.insert(r.slot);
  if (jobs_[a->index].serial) serial_running_ = false;
  for (const auto& lock : jobs_[a->index].locks) locks_held_.erase(lock);
  if (r.runtime == 0) r.runtime = Seconds(Clock::now() - a->start).count();
  r.signal = a->returncode < 0 ? -a->returncode : 0;
  r.exit_status = a->returncode < 0 ? 128 + r.signal : a->returncode;
  if (a->stop == StopReason::interrupted)
    r.outcome = Outcome::interrupted;
  else if (a->stop == StopReason::timed_out)
    r.outcome = Outcome::timed_out;
  else if (a->returncode != 0 || (r.leaky && !config_.allow_leaks))
    r.outcome = Outcome::failed;
  else
    r.outcome = Outcome::passed;
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

// Counts a failure; true when it makes the run halt.
bool Loop::count_failure() {
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

int Loop::next_timeout_ms(Clock::time_point now) const {
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

Snapshot Loop::snapshot(Clock::time_point now) const {
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

RunReport Loop::report() {
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
    JobResult r;
    r.seq = jobs_[i].seq;
    r.values = jobs_[i].values;
    r.command = plan_.expand(jobs_[i], 0).display;
    r.name = jobs_[i].name.empty() ? r.command : jobs_[i].name;
    r.labels = jobs_[i].labels;
    r.repeat = jobs_[i].repeat;
    r.outcome = interrupted_by_ != 0 && wanted[i] ? Outcome::interrupted : Outcome::skipped;
    report.results.push_back(std::move(r));
  }
  return report;
}

RunReport Loop::run() {
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

}  // namespace

RunReport Scheduler::run(const std::vector<JobSpec>& jobs, const std::vector<std::size_t>& order) {
  Loop loop(config_, launcher_, plan_, hooks_, jobs, order);
  return loop.run();
}

}  // namespace concur::cli::run
