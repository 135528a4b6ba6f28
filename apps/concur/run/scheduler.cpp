// Why one poll() loop: a thread or a temporary file per job would dominate the cost
// of short jobs (the goal is xargs's overhead). Children are reaped by peeking with
// waitid(WNOWAIT): a job's own process is reaped through its Popen (which owns it),
// anything else — orphans reparented to us as subreaper — directly.
#include "scheduler.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <deque>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>

#include "signals.hpp"

namespace concur::cli::run {
namespace {

using Clock = std::chrono::steady_clock;
using Seconds = std::chrono::duration<double>;

// Our remaining children once every job is reaped: processes that left their job's group
// (setsid) and were reparented to us as subreaper. None of them may outlive the run.
void kill_escaped_children() {
  const std::string self = std::to_string(::getpid());
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = e.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream f(e.path() / "stat");
    std::string line;
    if (!std::getline(f, line)) continue;
    const auto close = line.rfind(')');
    if (close == std::string::npos || close + 4 > line.size()) continue;
    std::string state, ppid;
    std::istringstream rest(line.substr(close + 2));
    rest >> state >> ppid;
    if (ppid != self) continue;
    const pid_t pid = static_cast<pid_t>(std::stol(name));
    ::kill(pid, SIGKILL);
    while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
}

struct Active {
  std::size_t index = 0;
  JobResult result;
  std::unique_ptr<RunningJob> proc;
  Capture out, err;
  Clock::time_point start;
  std::optional<Clock::time_point> deadline, kill_at, eof_by;
  bool exited = false, timed_out = false, interrupted = false;
  int returncode = 0;
};

class Loop {
 public:
  Loop(const SchedulerConfig& c, Launcher& l, const CommandPlan& p, const SchedulerHooks& h,
       const std::vector<JobSpec>& jobs, const std::vector<bool>& skip)
      : config_(c), launcher_(l), plan_(p), hooks_(h), jobs_(jobs), skip_(skip) {}

  RunReport run();

 private:
  void launch(std::size_t index, int attempts);
  void read_stream(Active& a, int stream);
  void sweep_children();
  void on_signal(int sig);
  void check_deadlines(Clock::time_point now);
  void finish(std::unique_ptr<Active> a);
  void stop_running(int sig, bool mark_interrupted);
  int next_timeout_ms(Clock::time_point now) const;

  const SchedulerConfig& config_;
  Launcher& launcher_;
  const CommandPlan& plan_;
  const SchedulerHooks& hooks_;
  const std::vector<JobSpec>& jobs_;
  const std::vector<bool>& skip_;

  std::vector<std::optional<JobResult>> results_;
  std::vector<std::unique_ptr<Active>> running_;
  std::deque<std::pair<std::size_t, int>> retry_;  // index, attempts so far
  std::set<int> free_slots_;
  std::size_t next_ = 0, done_ = 0, to_run_ = 0, failures_ = 0;
  bool stop_starting_ = false, halted_ = false;
  int interrupted_by_ = 0, signals_seen_ = 0;
  Clock::time_point run_start_;
  double epoch_at_start_ = 0;
  std::vector<char> buf_ = std::vector<char>(1 << 16);
};

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
  r.command = cmd.display;
  r.cwd = cmd.cwd;
  r.slot = slot;
  r.started = true;
  r.attempts = attempts + 1;
  a->start = Clock::now();
  r.start_offset = Seconds(a->start - run_start_).count();
  r.start_epoch = epoch_at_start_ + r.start_offset;
  LaunchSpec ls{cmd.argv, cmd.shell, cmd.cwd, config_.base_env};
  for (const auto& [k, v] : cmd.env) ls.env[k] = v;
  ls.env["CONCUR_JOB"] = std::to_string(spec.seq);
  ls.env["CONCUR_SLOT"] = std::to_string(slot);
  try {
    a->proc = launcher_.start(ls);
  } catch (const LaunchError& e) {
    r.error = e.what();
    const std::string msg = "concur run: cannot start job: " + r.error + "\n";
    a->err.append(msg.data(), msg.size());
    a->exited = true;
    a->returncode = 127;
    finish(std::move(a));
    return;
  }
  if (config_.timeout)
    a->deadline = a->start + std::chrono::duration_cast<Clock::duration>(*config_.timeout);
  running_.push_back(std::move(a));
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

void Loop::sweep_children() {
  for (;;) {
    siginfo_t si{};
    if (::waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) != 0 || si.si_pid == 0) return;
    Active* job = nullptr;
    for (auto& a : running_)
      if (!a->exited && a->proc->pid() == si.si_pid) job = a.get();
    if (job == nullptr) {
      ::waitpid(si.si_pid, nullptr, WNOHANG);  // an orphan of some job: reap it
      continue;
    }
    const auto rc = job->proc->try_reap();
    if (!rc) return;  // should not happen; try again on the next turn
    job->exited = true;
    job->returncode = *rc;
    job->result.runtime = Seconds(Clock::now() - job->start).count();
    // Leftovers of the job (background processes in its group) die with it.
    job->proc->signal_group(SIGKILL);
    job->eof_by = Clock::now() + std::chrono::duration_cast<Clock::duration>(config_.eof_grace);
  }
}

void Loop::stop_running(int sig, bool mark_interrupted) {
  const auto now = Clock::now();
  for (auto& a : running_) {
    if (a->exited) continue;
    if (mark_interrupted) a->interrupted = true;
    a->proc->signal_group(sig);
    if (sig != SIGKILL && !a->kill_at)
      a->kill_at = now + std::chrono::duration_cast<Clock::duration>(config_.kill_after);
  }
}

void Loop::on_signal(int sig) {
  if (sig == SIGCHLD) return;  // the sweep after every turn handles it
  ++signals_seen_;
  if (interrupted_by_ == 0) interrupted_by_ = sig;
  stop_starting_ = true;
  stop_running(signals_seen_ == 1 ? SIGTERM : SIGKILL, true);
}

void Loop::check_deadlines(Clock::time_point now) {
  for (auto& a : running_) {
    if (a->exited) continue;
    if (a->deadline && now >= *a->deadline && !a->timed_out) {
      a->timed_out = true;
      a->proc->signal_group(SIGTERM);
      a->kill_at = now + std::chrono::duration_cast<Clock::duration>(config_.kill_after);
    }
    if (a->kill_at && now >= *a->kill_at) {
      a->proc->signal_group(SIGKILL);
      a->kill_at.reset();
    }
  }
}

int Loop::next_timeout_ms(Clock::time_point now) const {
  std::optional<Clock::time_point> next;
  const auto consider = [&](const std::optional<Clock::time_point>& t) {
    if (t && (!next || *t < *next)) next = t;
  };
  for (const auto& a : running_) {
    if (!a->exited && !a->timed_out) consider(a->deadline);
    if (!a->exited) consider(a->kill_at);
    if (a->exited) consider(a->eof_by);
  }
  int ms = hooks_.tick ? 200 : -1;
  if (next) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(*next - now).count();
    const int l = static_cast<int>(std::clamp<long long>(left, 0, 1 << 30));
    ms = ms < 0 ? l : std::min(ms, l);
  }
  return ms;
}

void Loop::finish(std::unique_ptr<Active> a) {
  JobResult& r = a->result;
  free_slots_.insert(r.slot);
  if (r.runtime == 0) r.runtime = Seconds(Clock::now() - a->start).count();
  if (a->returncode < 0) {
    r.signal = -a->returncode;
    r.exit_status = 128 + r.signal;
  } else {
    r.exit_status = a->returncode;
  }
  if (a->interrupted)
    r.outcome = Outcome::interrupted;
  else if (a->timed_out)
    r.outcome = Outcome::timed_out;
  else
    r.outcome = a->returncode == 0 ? Outcome::passed : Outcome::failed;
  const bool bad = r.outcome == Outcome::failed || r.outcome == Outcome::timed_out;
  if (bad && r.attempts <= config_.retries && !stop_starting_) {
    retry_.emplace_back(a->index, r.attempts);
    return;
  }
  r.stdout_bytes = a->out.size();
  r.stderr_bytes = a->err.size();
  r.stdout_tail = a->out.tail();
  r.stderr_tail = a->err.tail();
  ++done_;
  if (hooks_.finished) hooks_.finished(r, a->out, a->err);
  results_[a->index] = std::move(r);
  if (!bad) return;
  ++failures_;
  const HaltPolicy& h = config_.halt;
  if (h.when == HaltPolicy::When::never || halted_) return;
  const bool reached = h.fail_percent >= 0 ? static_cast<double>(failures_) * 100.0 >=
                                                 h.fail_percent * static_cast<double>(to_run_)
                                           : static_cast<int>(failures_) >= h.fail_count;
  if (!reached) return;
  halted_ = true;
  stop_starting_ = true;
  if (h.when == HaltPolicy::When::now) stop_running(SIGTERM, true);
}

RunReport Loop::run() {
  run_start_ = Clock::now();
  epoch_at_start_ =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  results_.resize(jobs_.size());
  for (std::size_t i = 0; i < jobs_.size(); ++i)
    if (skip_.empty() || !skip_[i]) ++to_run_;
  const int slots =
      config_.slots > 0 ? config_.slots : static_cast<int>(std::max<std::size_t>(1, to_run_));
  for (int s = 1; s <= slots; ++s) free_slots_.insert(s);
  ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  SignalFd sigs;
  std::vector<pollfd> fds;
  std::vector<std::pair<Active*, int>> owners;
  for (;;) {
    while (!stop_starting_ && !free_slots_.empty()) {
      if (!retry_.empty()) {
        const auto [index, attempts] = retry_.front();
        retry_.pop_front();
        launch(index, attempts);
        continue;
      }
      while (next_ < jobs_.size() && !skip_.empty() && skip_[next_]) ++next_;
      if (next_ >= jobs_.size()) break;
      launch(next_++, 0);
    }
    if (running_.empty()) break;
    fds.clear();
    owners.clear();
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
    if (n > 0) {
      for (std::size_t i = 1; i < fds.size(); ++i)
        if (fds[i].revents != 0) read_stream(*owners[i].first, owners[i].second);
      if (fds[0].revents != 0)
        for (const int sig : sigs.drain()) on_signal(sig);
    }
    sweep_children();
    const auto now = Clock::now();
    check_deadlines(now);
    for (std::size_t i = 0; i < running_.size();) {
      Active& a = *running_[i];
      const bool open = a.proc->stdout_fd() >= 0 || a.proc->stderr_fd() >= 0;
      if (a.exited && open && a.eof_by && now >= *a.eof_by) {
        a.result.output_held_open = true;
        a.proc->close_stdout();
        a.proc->close_stderr();
      } else if (!a.exited || open) {
        ++i;
        continue;
      }
      auto done = std::move(running_[i]);
      running_.erase(running_.begin() + static_cast<std::ptrdiff_t>(i));
      finish(std::move(done));
    }
    if (hooks_.tick) hooks_.tick(done_, running_.size(), to_run_);
  }
  // Processes that escaped their job's group (setsid) were reparented to us: end them.
  sweep_children();
  kill_escaped_children();
  RunReport report;
  report.wall = Seconds(Clock::now() - run_start_).count();
  report.interrupted_by = interrupted_by_;
  report.halted = halted_;
  report.results.reserve(jobs_.size());
  for (std::size_t i = 0; i < jobs_.size(); ++i) {
    if (results_[i]) {
      report.results.push_back(std::move(*results_[i]));
      continue;
    }
    JobResult r;
    r.seq = jobs_[i].seq;
    r.values = jobs_[i].values;
    r.command = plan_.expand(jobs_[i], 0).display;
    r.outcome = interrupted_by_ != 0 && (skip_.empty() || !skip_[i]) ? Outcome::interrupted
                                                                     : Outcome::skipped;
    report.results.push_back(std::move(r));
  }
  return report;
}

}  // namespace

RunReport Scheduler::run(const std::vector<JobSpec>& jobs, const std::vector<bool>& skip) {
  Loop loop(config_, launcher_, plan_, hooks_, jobs, skip);
  return loop.run();
}

}  // namespace concur::cli::run
