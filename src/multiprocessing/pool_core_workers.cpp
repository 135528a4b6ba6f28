// ProcessPoolCore's workers: starting, reaping, retiring and replacing them, and the pool's
// broken state (see pool_core_engine.hpp).
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <string>

#include "multiprocessing/pool_core_engine.hpp"

namespace concur::multiprocessing::detail {

namespace {

// Python's names for pool workers.
std::string worker_name_for(StartMethod m) {
  static std::atomic<unsigned> counter{0};
  const char* kind = m == StartMethod::forkserver ? "ForkServerPoolWorker-"
                     : m == StartMethod::spawn    ? "SpawnPoolWorker-"
                                                  : "ForkPoolWorker-";
  return kind + std::to_string(++counter);
}

}  // namespace

std::string describe_exit(pid_t pid, int code, const char* when) {
  std::string s = "concur::multiprocessing: worker " + std::to_string(pid) + " died ";
  if (code < 0) {
    const char* name = ::strsignal(-code);
    s += "of signal " + std::to_string(-code) + " (" + (name ? name : "?") + ")";
  } else {
    s += "with exit code " + std::to_string(code);
  }
  return s + when;
}

Outcome PoolFailure::outcome() const {
  Outcome o;
  o.state = state;
  o.error = error;
  o.message = message;
  o.exitcode = exitcode;
  o.pool_broken = true;
  return o;
}

void PoolWaker::wake() const {
  const std::uint64_t one = 1;
  while (::write(fd.get(), &one, sizeof one) < 0 && errno == EINTR) {
  }
}

void PoolWaker::drain() const {
  std::uint64_t v;
  while (::read(fd.get(), &v, sizeof v) < 0 && errno == EINTR) {
  }
}

void ProcessPoolCore::Impl::start_worker(Slot& s, std::unique_ptr<WorkerLink> link) {
  s.link = link ? std::move(link) : WorkerLink::start(config.method);
  watch(index_of(s), s.link->channel());
  s.done = 0;
  s.state = Slot::State::idle;
  {
    std::lock_guard lock(mutex);
    pids.push_back(s.link->pid());
    if (terminating) s.link->kill(SIGKILL);  // terminate() may have missed it
  }
  Message who = identity_message(worker_name_for(config.method), false);
  s.link->send(who);  // a worker that died at once shows as EOF in the loop
  if (config.initializer) {
    s.state = Slot::State::starting;
    if (!s.link->send(*config.initializer.message())) on_death(s, false);
  }
}

void ProcessPoolCore::Impl::try_start(Slot& s) {
  try {
    start_worker(s);
  } catch (...) {
    s.link.reset();
    s.state = Slot::State::empty;
  }
}

void ProcessPoolCore::Impl::forget_pid(Slot& s) {
  std::lock_guard lock(mutex);
  std::erase(pids, s.link->pid());
}

// Forgets the worker's pid first: terminate() kills only listed pids, and a pid cannot be
// reused before we reap it.
int ProcessPoolCore::Impl::reap(Slot& s) {
  forget_pid(s);
  s.link->kill(SIGKILL);  // EOF may come from a worker that merely closed its channel
  return s.link->wait_exit();
}

void ProcessPoolCore::Impl::requeue_ahead(Slot& s) {
  while (!s.ahead.empty()) {
    resend.push_front(std::move(s.ahead.back()));
    s.ahead.pop_back();
  }
}

void ProcessPoolCore::Impl::on_death(Slot& s, bool replace) {
  const pid_t pid = s.link->pid();
  const bool was_starting = s.state == Slot::State::starting;
  const int code = reap(s);
  unwatch(s.link->channel());
  s.link.reset();
  s.state = Slot::State::empty;
  if (was_starting)
    set_broken(PoolFailure::crash(describe_exit(pid, code, " in its initializer"), code));
  // Replace first: when the caller learns of the crash, the pool is whole again.
  if (replace && !broken) try_start(s);
  requeue_ahead(s);  // they run elsewhere
  if (s.current) {
    Outcome o;
    o.state = Outcome::State::crashed;
    o.exitcode = code;
    o.message = describe_exit(pid, code, " while running the task");
    finish(std::move(*s.current), std::move(o));
    s.current.reset();
  }
}

void ProcessPoolCore::Impl::retire(Slot& s) {
  Message stop;
  stop.kind = Kind::stop;
  try {
    s.link->send(stop);
  } catch (...) {  // already gone: reaped below all the same
  }
  forget_pid(s);
  s.link->wait_exit();
  unwatch(s.link->channel());
  s.link.reset();
  s.state = Slot::State::empty;
}

void ProcessPoolCore::Impl::set_broken(PoolFailure f) {
  if (broken) return;
  broken = std::move(f);
  std::lock_guard lock(mutex);
  broken_reason = broken->describe();
  is_broken.store(true, std::memory_order_release);
}

}  // namespace concur::multiprocessing::detail
