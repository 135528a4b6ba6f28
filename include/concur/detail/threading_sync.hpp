// concur/detail/threading_sync.hpp — the low-level primitives under concur's queues and pool.
//
// Internal; not part of the API. Mutex is an adaptive pthread mutex (spins briefly on
// contention before sleeping). CondVar waits on CLOCK_MONOTONIC, so deadlines ignore wall-clock
// jumps. FastMutex/FastCondVar (used by the queues) are the same pair on raw futexes, inline:
// FastMutex is sync::LockCore (one atomic operation per lock or unlock when uncontended),
// FastCondVar a futex on a wake-up counter. Futexes and deadlines come from detail/core; none
// uses std::atomic::wait (GCC 12 bug 106772).
//
//   detail::Mutex m;  detail::CondVar cv;  bool ready = false;
//   { std::unique_lock lk(m); cv.wait(lk, [&] { return ready; }); }
//
// Thread safety: as std::mutex / std::condition_variable.
#pragma once

#include <pthread.h>

#include <atomic>
#include <climits>
#include <cstdint>
#include <mutex>

#include "concur/detail/core/deadline.hpp"
#include "concur/detail/core/futex.hpp"
#include "concur/detail/sync/lock_core.hpp"

namespace concur::detail {

/// An adaptive mutex: a few spins on contention before sleeping. Lockable.
class Mutex {
 public:
  Mutex() noexcept {
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
#ifdef PTHREAD_ADAPTIVE_MUTEX_INITIALIZER_NP
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ADAPTIVE_NP);
#endif
    pthread_mutex_init(&m_, &attr);
    pthread_mutexattr_destroy(&attr);
  }
  ~Mutex() { pthread_mutex_destroy(&m_); }
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;
  void lock() noexcept { pthread_mutex_lock(&m_); }
  bool try_lock() noexcept { return pthread_mutex_trylock(&m_) == 0; }
  void unlock() noexcept { pthread_mutex_unlock(&m_); }
  pthread_mutex_t* native_handle() noexcept { return &m_; }

 private:
  pthread_mutex_t m_;
};

/// A condition variable for Mutex whose timed waits use CLOCK_MONOTONIC.
class CondVar {
 public:
  CondVar() noexcept {
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&c_, &attr);
    pthread_condattr_destroy(&attr);
  }
  ~CondVar() { pthread_cond_destroy(&c_); }
  CondVar(const CondVar&) = delete;
  CondVar& operator=(const CondVar&) = delete;

  void notify_one() noexcept { pthread_cond_signal(&c_); }
  void notify_all() noexcept { pthread_cond_broadcast(&c_); }
  void wait(std::unique_lock<Mutex>& lk) noexcept {
    pthread_cond_wait(&c_, lk.mutex()->native_handle());
  }
  /// Returns false once `deadline` has passed (the caller re-checks its predicate either way).
  bool wait_until(std::unique_lock<Mutex>& lk, const Deadline& deadline) noexcept {
    const auto abs = deadline.abs_timespec();
    if (!abs) {
      wait(lk);
      return true;
    }
    pthread_cond_timedwait(&c_, lk.mutex()->native_handle(), &*abs);
    return !deadline.expired();
  }
  template <class Pred>
  void wait(std::unique_lock<Mutex>& lk, Pred pred) {
    while (!pred()) wait(lk);
  }
  /// Waits until pred() or the deadline; returns pred().
  template <class Pred>
  bool wait_until(std::unique_lock<Mutex>& lk, const Deadline& deadline, Pred pred) {
    while (!pred()) {
      if (!wait_until(lk, deadline)) return pred();
    }
    return true;
  }

 private:
  pthread_cond_t c_;
};

/// A small inline futex lock (sync::LockCore, Drepper's "mutex 3"). Waits with FastCondVar.
/// Lockable.
class FastMutex {
 public:
  FastMutex() = default;
  FastMutex(const FastMutex&) = delete;
  FastMutex& operator=(const FastMutex&) = delete;
  void lock() noexcept { core_.acquire(false); }
  bool try_lock() noexcept { return core_.try_acquire(); }
  void unlock() noexcept { core_.release(false); }

 private:
  sync::LockCore core_;
};

/// A condition variable for FastMutex (a futex on a wake-up counter). Waits may wake
/// spuriously; callers loop on their predicate. Timed waits use CLOCK_MONOTONIC.
class FastCondVar {
 public:
  FastCondVar() = default;
  FastCondVar(const FastCondVar&) = delete;
  FastCondVar& operator=(const FastCondVar&) = delete;
  // Notifiers hold the mutex: a waiter read seq_ under it before unlocking, so a wake-up between
  // its unlock and its futex wait changes seq_ and the wait returns at once (none is lost).
  void notify_one() noexcept { wake(1); }
  void notify_all() noexcept { wake(INT_MAX); }
  void wait(std::unique_lock<FastMutex>& lk) noexcept { wait_until(lk, Deadline::never()); }
  /// Returns false once `deadline` has passed (the caller re-checks its predicate either way).
  bool wait_until(std::unique_lock<FastMutex>& lk, const Deadline& deadline) noexcept {
    const std::uint32_t seq = seq_.load(std::memory_order_relaxed);
    lk.unlock();
    const bool in_time = futex_wait_until(seq_, seq, deadline);
    lk.lock();
    return in_time && !deadline.expired();
  }

 private:
  void wake(int n) noexcept {
    seq_.fetch_add(1, std::memory_order_relaxed);
    futex_wake(seq_, n);
  }
  std::atomic<std::uint32_t> seq_{0};
};

}  // namespace concur::detail
