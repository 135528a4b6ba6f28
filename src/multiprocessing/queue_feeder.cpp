// The per-process side of a queue: put()'s fast path straight into the ring, the buffer and
// its feeder thread when the ring is full, close/join_thread, and Python's flush-at-exit.
//
// Why the feeder owns a reference: Python's feeder keeps flushing after the last Queue object
// of the process is gone, so dropping the last handle never blocks: a busy feeder is detached
// and finishes on its own; an idle one is woken and joined, so the queue's fds close at once.
//
// Why the feeder lingers: a producer far ahead of its readers overflows the ring again soon
// after the buffer empties. A thread that ended each time was started again each time — thread
// start and exit, with the TLB-shootdown interrupts of its stack's unmapping, on the producer's
// path. So an idle feeder waits kLinger for more work before it ends; put() hands it the work.
// Everything that must see the thread gone wakes it at once: close() (nothing more can come;
// join_thread() then joins it, as Python's), the release of the last user handle (joins it, so
// the fds close), and exit flushing (it then ends with its buffer). Exit flushing goes through
// a registry of the queues whose feeder ran; the registry's mutex is held across fork() (atfork
// handlers) so a child never inherits it locked, and entries of other pids (inherited by a
// forked child) are skipped: their feeders do not exist in the child.
#include <pthread.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <stdexcept>
#include <thread>
#include <vector>

#include "multiprocessing/channel.hpp"
#include "multiprocessing/queue_impl.hpp"
#include "multiprocessing/robust.hpp"

namespace concur::multiprocessing::detail {
namespace {

// How long an idle feeder waits for more work before its thread ends.
constexpr auto kLinger = std::chrono::milliseconds(5);

struct ExitRegistry {
  std::mutex m;
  std::vector<std::weak_ptr<QueueImpl>> queues;
  bool atexit_done = false;
};

ExitRegistry& exit_registry() {
  static auto* r = [] {
    auto* reg = new ExitRegistry;  // leaked: used at exit and after fork
    ::pthread_atfork([] { exit_registry().m.lock(); }, [] { exit_registry().m.unlock(); },
                     [] { exit_registry().m.unlock(); });
    return reg;
  }();
  return *r;
}

void register_for_exit(const std::shared_ptr<QueueImpl>& q) {
  ExitRegistry& r = exit_registry();
  std::lock_guard lock(r.m);
  std::erase_if(r.queues, [](const auto& w) { return w.expired(); });
  for (const auto& w : r.queues)
    if (w.lock() == q) return;
  r.queues.push_back(q);
  if (!r.atexit_done) {
    r.atexit_done = true;
    std::atexit([] { flush_queue_feeders(); });
  }
}

}  // namespace

void flush_queue_feeders() noexcept {
  std::vector<std::shared_ptr<QueueImpl>> live;
  {
    ExitRegistry& r = exit_registry();
    std::lock_guard lock(r.m);
    for (const auto& w : r.queues)
      if (auto q = w.lock(); q && q->pid == self_pid()) live.push_back(std::move(q));
  }
  for (auto& q : live) q->flush_at_exit();
}

QueueImpl::~QueueImpl() {
  if (feeder.joinable()) feeder.detach();  // only in a forked child: the thread is the parent's
}

void QueueImpl::release_user() {
  std::unique_lock lock(m);
  no_users = true;  // a busy feeder ends when its buffer is empty, an idle one at once
  if (!feeder.joinable()) return;
  if (feeder_running) {
    feeder.detach();
    return;
  }
  wake.notify_all();
  std::thread done = std::move(feeder);
  lock.unlock();
  done.join();
}

void QueueImpl::put(Pending p) {
  // Nothing of ours is buffered: the item may go straight into the ring (no mutex taken).
  const bool tried = buffered.load(std::memory_order_acquire) == 0;
  if (tried && try_push(p) == PushResult::done) return;
  std::unique_lock lock(m);
  if (!tried && backlog.empty() && try_push(p) == PushResult::done) return;
  backlog.push_back(std::move(p));
  buffered.fetch_add(1, std::memory_order_relaxed);
  QueueShared& s = shared();
  if (s.maxsize == 0) s.buffered.fetch_add(1, std::memory_order_relaxed);  // for qsize()
  if (feeder_running) return;
  feeder_running = true;
  if (feeder_alive) {  // lingering: it takes the work
    wake.notify_one();
    return;
  }
  if (feeder.joinable()) feeder.join();  // a finished run: at most in its epilogue
  feeder_alive = true;
  try {
    register_for_exit(shared_from_this());
    feeder = std::thread([self = shared_from_this()] {
      ::pthread_setname_np(::pthread_self(), "QueueFeeder");
      self->feed();
    });
  } catch (...) {
    feeder_running = false;
    feeder_alive = false;
    backlog.pop_back();
    buffered.fetch_sub(1, std::memory_order_relaxed);
    if (s.maxsize == 0) s.buffered.fetch_sub(1, std::memory_order_relaxed);
    throw;
  }
}

void QueueImpl::feed() {
  // Up to this many buffered items go into the ring under one taking of its lock: a producer
  // far ahead of its readers then costs the shared lock one hand-off per batch, not per item.
  constexpr std::size_t batch = 64;
  for (;;) {
    Pending* items[batch];
    std::size_t n = 0;
    {
      std::unique_lock lock(m);
      if (backlog.empty()) {
        feeder_running = false;
        drained.notify_all();
        const auto until = std::chrono::steady_clock::now() + kLinger;
        while (backlog.empty() && !closed && !no_users && !exit_flushed &&
               wake.wait_until(lock, until) == std::cv_status::no_timeout) {
        }
        if (backlog.empty()) {  // decided under `m`: a put() from now on starts a new thread
          feeder_alive = false;
          return;
        }
      }
      // They stay put: other threads only push_back (which moves no element of a deque).
      n = std::min(batch, backlog.size());
      for (std::size_t i = 0; i < n; ++i) items[i] = &backlog[i];
    }
    std::size_t pushed = 1;
    try {
      pushed = push_some(items, n);
    } catch (const std::exception& e) {
      // As Python's feeder: report and drop the item; the queue goes on.
      std::fprintf(stderr, "concur::multiprocessing: Queue feeder dropped an item: %s\n", e.what());
      unreserve();
    }
    // Counted in the ring now (or dropped): no longer in a buffer.
    if (shared().maxsize == 0)
      shared().buffered.fetch_sub(static_cast<std::uint32_t>(pushed), std::memory_order_relaxed);
    std::lock_guard lock(m);
    for (std::size_t i = 0; i < pushed; ++i) backlog.pop_front();
    buffered.fetch_sub(pushed, std::memory_order_release);
  }
}

void QueueImpl::close() {
  std::lock_guard lock(m);
  closed.store(true, std::memory_order_relaxed);
  wake.notify_all();  // an idle feeder ends now
}

void QueueImpl::join_thread() {
  std::unique_lock lock(m);
  if (!closed) throw std::logic_error("concur::multiprocessing: join_thread() before close()");
  drained.wait(lock, [&] { return !feeder_running || cancel_join; });
  if (feeder_running || !feeder.joinable()) return;  // cancelled, or no thread to join
  // Flushed and closed: the feeder is ending (it lingers only while this process may put).
  std::thread done = std::move(feeder);
  lock.unlock();
  done.join();
}

void QueueImpl::flush_at_exit() {
  std::unique_lock lock(m);
  exit_flushed = true;
  wake.notify_all();
  drained.wait(lock, [&] { return !feeder_running || cancel_join; });
}

}  // namespace concur::multiprocessing::detail
