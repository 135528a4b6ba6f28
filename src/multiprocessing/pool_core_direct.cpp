// ProcessPoolCore's direct path: idle workers lent to submitters and waiters while the dispatch
// thread sleeps (see pool_core_engine.hpp).
#include <poll.h>
#include <sched.h>
#include <sys/epoll.h>

#include <cerrno>
#include <chrono>
#include <cstdint>

#include "concur/detail/core/futex.hpp"
#include "multiprocessing/pool_core_engine.hpp"

namespace concur::multiprocessing::detail {
namespace {

// When the worker replied from another core last time (it lingers there, awake, after each
// reply: worker_main.cpp), the waiter watches the channel this long without yielding before it
// sleeps. Its reply then comes within microseconds, and a sleeping waiter would pay the wake-up
// of its idle virtual CPU: measured with the two pinned apart, median round trip 38 µs
// sleeping at once against 6.8 µs watching 15 µs. Sharing one core, the waiter must not
// watch: the worker needs that core (8.5 µs against 24 µs), so it sleeps at once as below.
constexpr auto watch_other_core = std::chrono::microseconds(20);

// Waits until `fd` is readable (true) or the deadline passes (false). `watch_first`: see
// watch_other_core. Otherwise it sleeps in poll() at once: measured on the loaded 2-core machine
// the benchmarks share, a waiter that watched the channel for 200 µs first (poll(0) and
// sched_yield() in turn) made round trips slower, not faster (median 24-52 µs against 17-39 µs; the
// worker's own watch after its reply is what saves its wake-up), because each yield handed the core
// to another process for a whole time slice, and a spinning waiter took the core its own worker
// needed. A waiter that sleeps is woken by the reply with the scheduler's wake-up preference.
// Sleeping in poll() and then reading is also faster than sleeping in the blocking read itself (one
// syscall fewer, yet measured interleaved: median 7.2 µs per round trip against 8.8 µs).
bool await_readable(int fd, const concur::detail::Deadline& deadline, bool watch_first) {
  pollfd p{fd, POLLIN, 0};
  if (watch_first) {
    const auto until = std::chrono::steady_clock::now() + watch_other_core;
    do {
      if (::poll(&p, 1, 0) > 0) return true;
      for (int i = 0; i < 16; ++i) concur::detail::cpu_relax();
    } while (std::chrono::steady_clock::now() < until && !deadline.expired());
  }
  for (;;) {
    const int r = ::poll(&p, 1, deadline.poll_ms());
    if (r > 0) return true;
    if (r < 0 && errno != EINTR) return false;
    if (deadline.expired()) return false;
  }
}

// One epoll_ctl on a worker's channel: `events` on it, reported with the worker's slot.
void set_interest(int epoll, int op, std::size_t slot, int fd, std::uint32_t events) noexcept {
  epoll_event e{};
  e.events = events;
  e.data.u64 = slot;
  ::epoll_ctl(epoll, op, fd, &e);
}

}  // namespace

void ProcessPoolCore::Impl::watch(std::size_t slot, int fd) const noexcept {
  set_interest(epoll.get(), EPOLL_CTL_ADD, slot, fd, EPOLLIN);
}

void ProcessPoolCore::Impl::unwatch(int fd) const noexcept {
  ::epoll_ctl(epoll.get(), EPOLL_CTL_DEL, fd, nullptr);
}

// A reader's channel stays in the epoll set, muted: one EPOLL_CTL_MOD each way costs a fifth of
// a removal and a re-adding (0.22 µs against 1.1 µs for the pair, measured here). Muted, only a
// hang-up (the worker died) is still reported, once (EPOLLONESHOT): the dispatch thread then
// finds the door being read and leaves the worker to its reader.
void ProcessPoolCore::Impl::mute(std::size_t slot, int fd) const noexcept {
  set_interest(epoll.get(), EPOLL_CTL_MOD, slot, fd, EPOLLONESHOT);
}

void ProcessPoolCore::Impl::unmute(std::size_t slot, int fd) const noexcept {
  set_interest(epoll.get(), EPOLL_CTL_MOD, slot, fd, EPOLLIN);
}

void ProcessPoolCore::Impl::open_doors() {
  std::lock_guard lock(mutex);
  if (broken || closing || terminating || !pending.empty() || !new_sources.empty()) return;
  for (std::size_t i = 0; i < slots.size(); ++i) {
    const Slot& s = slots[i];
    Door& d = doors[i];
    // Not a spawned worker whose handshake is still unread: only this thread reads it.
    if (d.lent || s.state != Slot::State::idle || !s.link || s.link->handshake_pending()) continue;
    d.open = d.lent = true;
    d.link = s.link.get();
    d.done = 0;
    d.budget = config.maxtasksperchild > 0 ? config.maxtasksperchild - s.done : 0;
  }
}

bool ProcessPoolCore::Impl::close_doors() {
  std::vector<std::size_t> dead, due;
  bool still_lent = false, replace = false;
  {
    std::lock_guard lock(mutex);
    replace = !terminating;
    for (std::size_t i = 0; i < slots.size(); ++i) {
      Door& d = doors[i];
      lent[i] = lent_free;
      d.open = false;
      if (!d.lent) continue;
      if (d.reading) {  // its reader hands it back and wakes us
        d.want_back = true;
        lent[i] = lent_kept;
        still_lent = true;
        continue;
      }
      Slot& s = slots[i];
      s.done += d.done;
      if (d.task) {
        if (d.unsent) {  // the worker died before it: another one runs it (it is started)
          resend.push_back(std::move(*d.task));
        } else {
          s.current = std::move(d.task);
          s.state = Slot::State::busy;
          s.streaming = false;
        }
      }
      if (d.dead) {
        dead.push_back(i);
        lent[i] = lent_handled;
      } else if (!s.current && config.maxtasksperchild > 0 && s.done >= config.maxtasksperchild) {
        due.push_back(i);
        lent[i] = lent_handled;
      }
      d = Door{};
    }
  }
  for (std::size_t i : dead) on_death(slots[i], replace);
  for (std::size_t i : due) {
    retire(slots[i]);
    try_start(slots[i]);
  }
  return still_lent;
}

bool ProcessPoolCore::Impl::send_direct_locked(Task& t) {
  if (!pending.empty() || broken_reason) return false;  // keep the order of queued tasks
  for (std::size_t i = 0; i < doors.size(); ++i) {
    Door& d = doors[i];
    if (!d.open) continue;
    d.open = false;
    if (!t.sink->start(t.index)) return true;  // cancelled already: dropped, never run
    bool sent = false;
    try {
      sent = d.link->send(t.message);
    } catch (...) {
    }
    if (sent) t.sink->sent_direct(self, i);
    d.task = std::move(t);
    if (!sent) {  // the worker is gone: the dispatch thread sends the task elsewhere
      d.unsent = true;
      waker->wake();
    }
    return true;
  }
  return false;
}

void ProcessPoolCore::Impl::read_reply(std::size_t door, const TaskSink* sink,
                                       const concur::detail::Deadline& deadline) noexcept {
  if (door >= doors.size()) return;
  Door& d = doors[door];
  WorkerLink* link = nullptr;  // stays valid: a door being read stays lent
  {
    std::lock_guard lock(mutex);
    if (!d.lent || !d.task || d.task->sink.get() != sink || d.reading || d.unsent || d.dead)
      return;  // the dispatch thread has it (or another waiter)
    d.reading = true;
    link = d.link;
  }
  const int fd = link->channel();
  mute(door, fd);  // the reply must not wake the dispatch thread
  Message m;
  bool got = false, dead = false;
  // d.worker_cpu is this reader's while d.reading is set.
  const bool apart = d.worker_cpu >= 0 && d.worker_cpu != ::sched_getcpu();
  if (await_readable(fd, deadline, apart)) {
    try {
      got = link->recv(m, &d.worker_cpu);
    } catch (...) {  // a malformed frame counts as the worker's death
    }
    dead = !got || (m.kind != Kind::result && m.kind != Kind::error);
  }
  unmute(door, fd);
  std::optional<Task> task;
  bool wake = false;
  {
    std::lock_guard lock(mutex);
    d.reading = false;
    if (dead) {
      d.dead = true;
      wake = true;
    } else if (got) {
      task = std::move(d.task);
      d.task.reset();
      ++d.done;
      const bool retiring = d.budget > 0 && d.done >= d.budget;
      d.open = !retiring && !d.want_back && !closing && !terminating && !broken_reason &&
               pending.empty() && new_sources.empty();
      wake = !d.open;  // the dispatch thread takes the worker back (to retire it, or for work)
    }
    if (d.want_back) wake = true;
  }
  if (wake) waker->wake();
  if (task) finish(std::move(*task), outcome_of(m));  // completes the future on this thread
}

}  // namespace concur::multiprocessing::detail
