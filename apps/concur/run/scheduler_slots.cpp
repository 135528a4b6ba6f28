// The scheduler's start side: slots per launch target (a target's own count, else -j), the
// order jobs start in (the given order, but never a RUN_SERIAL job beside another, two
// holders of one RESOURCE_LOCK, a job before those it depends on, or a user of a fixture
// whose setup failed) and launching a job through the launcher.
#include <algorithm>
#include <map>

#include "scheduler_loop.hpp"

namespace concur::cli::run {

void SchedulerLoop::setup_slots() {
  const auto targets = launcher_.targets();
  slot_target_.push_back(0);  // slots are 1-based
  for (std::size_t t = 0; t < targets.size(); ++t) {
    const int n = targets[t].slots > 0 ? targets[t].slots
                  : config_.slots > 0  ? config_.slots
                                       : static_cast<int>(std::max<std::size_t>(1, to_run_));
    for (int s = 0; s < n; ++s) {
      free_slots_.insert(static_cast<int>(slot_target_.size()));
      ++slot_count_;
      slot_target_.push_back(t);
    }
  }
}

bool SchedulerLoop::may_start(std::size_t index) const {
  const JobSpec& job = jobs_[index];
  if (serial_running_ || (job.serial && !running_.empty())) return false;
  if (free_slots_.size() < slots_needed(index)) return false;
  for (const auto& lock : job.locks)
    if (locks_held_.count(lock) > 0) return false;
  for (const std::size_t before : after_[index])
    if (!results_[before]) return false;
  return true;
}

// ctest PROCESSORS: a job takes that many slots, never more than there are (as ctest -j).
std::size_t SchedulerLoop::slots_needed(std::size_t index) const {
  return std::clamp<std::size_t>(static_cast<std::size_t>(jobs_[index].processors), 1,
                                 std::max<std::size_t>(1, slot_count_));
}

// The first pending job (in start order) that may start now; with nothing running and
// nothing startable (a dependency cycle), the first pending job anyway.
std::optional<std::size_t> SchedulerLoop::next_startable() const {
  for (std::size_t k = 0; k < pending_.size(); ++k)
    if (may_start(pending_[k])) return k;
  if (running_.empty() && !pending_.empty()) return 0;
  return std::nullopt;
}

void SchedulerLoop::start_jobs() {
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
    if (auto why = failed_fixture(index))
      not_run(index, std::move(*why));
    else
      launch(index, 0);
  }
}

// Which jobs each job waits for: its DEPENDS and the setup tests of the fixtures it
// requires (only those in this run); a fixture's cleanup tests wait for every user.
void SchedulerLoop::resolve_dependencies() {
  after_.assign(jobs_.size(), {});
  setups_.assign(jobs_.size(), {});
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
      for (const std::size_t d : setups[f]) {
        after.push_back(d);
        if (d != i) setups_[i].emplace_back(f, d);
      }
    for (const auto& f : jobs_[i].fixtures_cleanup)
      for (const std::size_t d : users[f])
        if (d != i) after.push_back(d);
    std::erase(after, i);
  }
}

// As ctest: a test whose fixture's setup test did not pass is not run ("Not Run").
std::optional<std::string> SchedulerLoop::failed_fixture(std::size_t index) const {
  for (const auto& [fixture, setup] : setups_[index])
    if (results_[setup] && results_[setup]->outcome != Outcome::passed)
      return "the setup of fixture '" + fixture + "' (" + results_[setup]->name + ") " +
             (results_[setup]->outcome == Outcome::skipped
                  ? "did not run"
                  : outcome_name(results_[setup]->outcome));
  return std::nullopt;
}

void SchedulerLoop::not_run(std::size_t index, std::string why) {
  JobResult r = unstarted_result(index);
  r.reason = std::move(why);
  ++done_;
  results_[index] = std::move(r);
}

void SchedulerLoop::launch(std::size_t index, int attempts) {
  const JobSpec& spec = jobs_[index];
  auto a = std::make_unique<ActiveJob>();
  a->index = index;
  a->out = Capture(Capture::kDefaultLimit, config_.keep_output);
  a->err = Capture(Capture::kDefaultLimit, config_.keep_output);
  const int slot = *free_slots_.begin();
  free_slots_.erase(free_slots_.begin());
  while (a->more_slots.size() + 1 < slots_needed(index) && !free_slots_.empty()) {
    a->more_slots.push_back(*free_slots_.begin());
    free_slots_.erase(free_slots_.begin());
  }
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
    if (const auto missing = missing_required_file(spec.rules, cmd.cwd))
      throw LaunchError("REQUIRED_FILES: '" + *missing + "' does not exist");
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

}  // namespace concur::cli::run
