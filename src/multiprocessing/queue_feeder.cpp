// The per-process side of a queue: put()'s fast path straight into the ring, the buffer and
// its feeder thread when the ring is full, close/join_thread, and Python's flush-at-exit.
//
// Why the feeder owns a reference: Python's feeder keeps flushing after the last Queue object
// of the process is gone, so dropping the last handle never blocks: a busy feeder is detached
// and finishes on its own; an idle one is joined, so the queue's fds close at once. The thread
// ends as soon as the buffer is empty (and is started again on demand). Exit flushing goes through
// a registry of the queues whose feeder ran; the registry's mutex is held across fork() (atfork
// handlers) so a child never inherits it locked, and entries of other pids (inherited by a
// forked child) are skipped: their feeders do not exist in the child.
#include <pthread.h>
#include <unistd.h>

#include <algorithm>
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
  if (!feeder.joinable()) return;
  if (feeder_running) {
    feeder.detach();
    return;
  }
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
  if (feeder_running) return;
  if (feeder.joinable()) feeder.join();  // a finished run: at most in its epilogue
  feeder_running = true;
  try {
    register_for_exit(shared_from_this());
    feeder = std::thread([self = shared_from_this()] {
      ::pthread_setname_np(::pthread_self(), "QueueFeeder");
      self->feed();
    });
  } catch (...) {
    feeder_running = false;
    backlog.pop_back();
    buffered.fetch_sub(1, std::memory_order_relaxed);
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
      std::lock_guard lock(m);
      if (backlog.empty()) {
        feeder_running = false;
        drained.notify_all();
        return;
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
      uncount_dropped();
    }
    std::lock_guard lock(m);
    for (std::size_t i = 0; i < pushed; ++i) backlog.pop_front();
    buffered.fetch_sub(pushed, std::memory_order_release);
  }
}

void QueueImpl::close() {
  std::lock_guard lock(m);
  closed.store(true, std::memory_order_relaxed);
}

void QueueImpl::join_thread() {
  std::unique_lock lock(m);
  if (!closed) throw std::logic_error("concur::multiprocessing: join_thread() before close()");
  drained.wait(lock, [&] { return !feeder_running || cancel_join; });
}

void QueueImpl::flush_at_exit() {
  std::unique_lock lock(m);
  drained.wait(lock, [&] { return !feeder_running || cancel_join; });
}

}  // namespace concur::multiprocessing::detail
