// ProcessPoolCore's workers: starting, reaping, retiring and replacing them, and the pool's
// broken state (see pool_core_engine.hpp).
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <exception>
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
  // A spawned replacement is not awaited either: its handshake is read as it arrives.
  s.link =
      link ? std::move(link) : std::move(WorkerLink::start_many(config.method, 1, false).front());
  watch(index_of(s), s.link->channel());
  s.done = 0;
  s.state = Slot::State::idle;
  s.greet_by = s.link->handshake_pending()
                   ? concur::detail::Deadline::after(spawn_handshake_timeout())
                   : concur::detail::Deadline::never();
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
    return;
  } catch (const std::exception& e) {
    no_worker_reason = e.what();
  } catch (...) {
  }
  s.link.reset();
  s.state = Slot::State::empty;
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
  // A spawned worker may die before its handshake was read: what it wrote is still there.
  if (s.link->handshake_pending() && !s.link->finish_handshake(s.greet_by)) {
    on_no_handshake(s, code, false);
    return;
  }
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

bool ProcessPoolCore::Impl::greet(Slot& s) {
  if (s.link->finish_handshake(s.greet_by)) {
    s.greet_by = concur::detail::Deadline::never();
    return true;
  }
  const int code = reap(s);
  on_no_handshake(s, code, s.greet_by.expired());
  return false;
}

int ProcessPoolCore::Impl::expire_handshakes() {
  int wait_ms = -1;
  for (auto& s : slots) {
    if (!s.link || !s.link->handshake_pending()) continue;
    pollfd p{s.link->channel(), POLLIN, 0};
    if (::poll(&p, 1, 0) > 0) continue;  // it answered (or died): handle_readable() reads it
    if (s.greet_by.expired()) {
      const int code = reap(s);  // kills it first
      on_no_handshake(s, code, true);
      continue;
    }
    const int left = s.greet_by.poll_ms();
    if (wait_ms < 0 || left < wait_ms) wait_ms = left;
  }
  return wait_ms;
}

void ProcessPoolCore::Impl::on_no_handshake(Slot& s, int code, bool timed_out) {
  const pid_t pid = s.link->pid();
  unwatch(s.link->channel());
  s.link.reset();
  s.state = Slot::State::empty;
  s.greet_by = concur::detail::Deadline::never();
  // Nothing sent to it ran: it goes to another worker, the current task first.
  requeue_ahead(s);
  if (s.current) {
    resend.push_front(std::move(*s.current));
    s.current.reset();
  }
  if (stopping) return;  // the pool is shutting down: no diagnosis, no replacement
  // Only a replacement or a constructor's later worker gets here (the constructor awaited one
  // worker's handshake, so this program does call freeze_support()). It is not replaced in turn
  // (that could go on forever): the slot stays empty, as when a fork fails; with no worker
  // left, tasks fail with this diagnosis.
  no_worker_reason = handshake_failure(pid, code, timed_out);
}

void ProcessPoolCore::Impl::set_broken(PoolFailure f) {
  if (broken) return;
  broken = std::move(f);
  std::lock_guard lock(mutex);
  broken_reason = broken->describe();
  is_broken.store(true, std::memory_order_release);
}

}  // namespace concur::multiprocessing::detail
