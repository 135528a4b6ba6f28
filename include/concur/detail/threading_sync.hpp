// concur/detail/threading_sync.hpp — the low-level primitives under concur's queues and pool.
//
// Internal; not part of the API. Mutex is an adaptive pthread mutex (spins briefly on
// contention before sleeping, so a producer and a consumer that touch the lock alternately
// rarely enter the kernel). CondVar waits on CLOCK_MONOTONIC, so deadlines ignore
// wall-clock jumps. FastMutex/FastCondVar (used by the queues) are the same pair on raw futexes,
// inline: one atomic operation per lock or unlock when uncontended. None uses std::atomic::wait
// (GCC 12 bug 106772).
//
//   detail::Mutex m;  detail::CondVar cv;  bool ready = false;
//   { std::unique_lock lk(m); cv.wait(lk, [&] { return ready; }); }
//
// Thread safety: as std::mutex / std::condition_variable.
#pragma once

#include <linux/futex.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <time.h>
#include <atomic>
#include <chrono>
#include <climits>
#include <mutex>
#include <optional>
#include <stdexcept>

#include "concur/detail/core/deadline.hpp"
#include "concur/detail/core/futex.hpp"
#include "concur/duration.hpp"

namespace concur::detail {

using Clock = std::chrono::steady_clock;  // CLOCK_MONOTONIC in libstdc++ and libc++

/// The absolute deadline `timeout` from now; a huge timeout saturates instead of overflowing.
inline Clock::time_point deadline_after(Duration timeout) {
  const auto now = Clock::now();
  if (timeout <= Duration::zero()) return now;
  const Duration room = Clock::time_point::max() - now;
  if (timeout >= room / 2) return Clock::time_point::max() - Clock::duration(1);
  return now + std::chrono::duration_cast<Clock::duration>(timeout);
}

// check_timeout() and cpu_relax() come from the core (deadline.hpp, futex.hpp).

/// Sleeps while `*word == expected` (or until a wake-up or signal: callers re-check). A futex on
/// a std::atomic<int>, private to the process.
inline void futex_wait(std::atomic<int>& word, int expected) noexcept {
  static_assert(sizeof(std::atomic<int>) == sizeof(int));
  syscall(SYS_futex, reinterpret_cast<int*>(&word), FUTEX_WAIT_PRIVATE, expected, nullptr, nullptr,
          0);
}
/// Wakes up to `n` threads sleeping in futex_wait(word, ...).
inline void futex_wake(std::atomic<int>& word, int n) noexcept {
  syscall(SYS_futex, reinterpret_cast<int*>(&word), FUTEX_WAKE_PRIVATE, n, nullptr, nullptr, 0);
}

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

/// A small futex lock (Drepper's "mutex 3"): lock and unlock are inline, one atomic
/// read-modify-write each when uncontended, no library call. Brief spin before sleeping. Waits
/// with FastCondVar (not CondVar). Lockable.
class FastMutex {
 public:
  FastMutex() = default;
  FastMutex(const FastMutex&) = delete;
  FastMutex& operator=(const FastMutex&) = delete;
  void lock() noexcept {
    int c = 0;
    if (s_.compare_exchange_strong(c, 1, std::memory_order_acquire)) return;
    lock_slow();
  }
  bool try_lock() noexcept {
    int c = 0;
    return s_.compare_exchange_strong(c, 1, std::memory_order_acquire);
  }
  void unlock() noexcept {
    if (s_.exchange(0, std::memory_order_release) == 2) wake();
  }

 private:
  void lock_slow() noexcept {
    for (int i = 0; i < 100; ++i) {
      cpu_relax();
      int c = 0;
      if (s_.load(std::memory_order_relaxed) == 0 &&
          s_.compare_exchange_weak(c, 1, std::memory_order_acquire))
        return;
    }
    // 2: locked with (possible) sleepers; whoever unlocks a 2 wakes one.
    while (s_.exchange(2, std::memory_order_acquire) != 0) futex_wait(s_, 2);
  }
  void wake() noexcept { futex_wake(s_, 1); }
  std::atomic<int> s_{0};
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
  void wait(std::unique_lock<FastMutex>& lk) noexcept { wait_impl(lk, nullptr); }
  /// Returns false once `deadline` has passed (the caller re-checks its predicate either way).
  bool wait_until(std::unique_lock<FastMutex>& lk, Clock::time_point deadline) noexcept {
    const auto ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(deadline.time_since_epoch()).count();
    timespec ts{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
    wait_impl(lk, &ts);
    return Clock::now() < deadline;
  }

 private:
  void wake(int n) noexcept {
    seq_.fetch_add(1, std::memory_order_relaxed);
    futex_wake(seq_, n);
  }
  void wait_impl(std::unique_lock<FastMutex>& lk, const timespec* abs_monotonic) noexcept {
    const int seq = seq_.load(std::memory_order_relaxed);
    lk.unlock();
    // FUTEX_WAIT_BITSET takes an absolute CLOCK_MONOTONIC deadline; EINTR/EAGAIN/ETIMEDOUT all
    // just return: the caller re-checks.
    syscall(SYS_futex, reinterpret_cast<int*>(&seq_), FUTEX_WAIT_BITSET_PRIVATE, seq, abs_monotonic,
            nullptr, FUTEX_BITSET_MATCH_ANY);
    lk.lock();
  }
  std::atomic<int> seq_{0};
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
  bool wait_until(std::unique_lock<Mutex>& lk, Clock::time_point deadline) noexcept {
    const auto ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(deadline.time_since_epoch()).count();
    timespec ts{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
    pthread_cond_timedwait(&c_, lk.mutex()->native_handle(), &ts);
    return Clock::now() < deadline;
  }
  template <class Pred>
  void wait(std::unique_lock<Mutex>& lk, Pred pred) {
    while (!pred()) wait(lk);
  }
  /// Waits until pred() or the deadline; returns pred().
  template <class Pred>
  bool wait_until(std::unique_lock<Mutex>& lk, Clock::time_point deadline, Pred pred) {
    while (!pred()) {
      if (!wait_until(lk, deadline)) return pred();
    }
    return true;
  }

 private:
  pthread_cond_t c_;
};

}  // namespace concur::detail
