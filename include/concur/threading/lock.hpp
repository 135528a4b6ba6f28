// concur/threading/lock.hpp — Python's threading.Lock and threading.RLock (part of
// <concur/threading.hpp>).
//
//   concur::threading::Lock lock;
//   { std::scoped_lock guard(lock); ++counter; }        // Lockable: the std guards work
//   if (lock.acquire(true, 50ms)) { ...; lock.release(); }   // Python's acquire(timeout=0.05)
//
//   concur::threading::RLock r;                          // re-entrant: the owner may nest
//   std::unique_lock a(r), b(r);
//
// Both are futex locks (concur/detail/sync/lock_core.hpp): an uncontended acquire is one inline
// CAS, a release one inline exchange, no library call — as cheap as std::mutex. A contended
// acquirer spins briefly, then sleeps; timed waits run on CLOCK_MONOTONIC and survive EINTR.
//
// Errors, as Python's:
// - Lock::release() of an unlocked Lock throws std::logic_error (RuntimeError); any thread may
//   release a Lock (unlike std::mutex). RLock::release() by a thread that does not own it throws
//   std::logic_error.
// - acquire(false, timeout) — a timeout for a non-blocking call — and a negative timeout throw
//   std::invalid_argument (ValueError). timeout 0 is one attempt.
// - try_lock_for/try_lock_until follow C++'s TimedLockable instead: a time already past makes one
//   attempt.
// Thread safety: every member may be called from any thread.
#pragma once

#include <pthread.h>

#include <chrono>
#include <cstdint>
#include <mutex>  // std::scoped_lock, std::unique_lock: the usual guards for these locks
#include <optional>
#include <stdexcept>
#include <type_traits>

#include "concur/detail/core/deadline.hpp"
#include "concur/detail/sync/lock_core.hpp"
#include "concur/duration.hpp"

namespace concur::threading {

/// Python's threading.get_ident(): a non-zero number identifying the calling thread among the
/// live ones (its pthread_t; may be reused once the thread has ended).
inline std::uint64_t get_ident() noexcept { return static_cast<std::uint64_t>(pthread_self()); }

class Condition;

namespace detail {
/// Deadline of a Python-style acquire(blocking, timeout); nullopt = wait forever. Throws
/// std::invalid_argument for a timeout given to a non-blocking call or a negative one.
inline concur::detail::Deadline acquire_deadline(bool blocking,
                                                 const std::optional<Duration>& timeout) {
  if (!blocking) {
    if (timeout) throw std::invalid_argument("can't specify a timeout for a non-blocking call");
    return concur::detail::Deadline::after(Duration::zero());
  }
  concur::detail::check_timeout(timeout);
  return concur::detail::Deadline::after(timeout);
}
/// A C++ time point on any clock as a CLOCK_MONOTONIC deadline.
template <class Clock, class D>
concur::detail::Deadline deadline_at(std::chrono::time_point<Clock, D> t) {
  if constexpr (std::is_same_v<Clock, std::chrono::steady_clock>)
    return concur::detail::Deadline::at(
        std::chrono::time_point_cast<std::chrono::steady_clock::duration>(t));
  else
    return concur::detail::Deadline::after(t - Clock::now());
}
}  // namespace detail

/// Python's threading.Lock: a plain lock any thread may release. Lockable and TimedLockable.
class Lock {
 public:
  Lock() = default;
  Lock(const Lock&) = delete;
  Lock& operator=(const Lock&) = delete;

  /// Python's acquire(): true once held; false when `blocking` is false or `timeout` passed first.
  /// Throws std::invalid_argument for a negative timeout or a timeout with blocking = false.
  bool acquire(bool blocking = true, std::optional<Duration> timeout = {}) {
    if (blocking && !timeout) {
      core_.acquire(false);
      return true;
    }
    return core_.acquire_until(detail::acquire_deadline(blocking, timeout), false);
  }
  /// Unlocks. Throws std::logic_error if it was not locked.
  void release() {
    if (!core_.release(false)) throw std::logic_error("release unlocked lock");
  }
  /// A snapshot: true while some thread holds it.
  bool locked() const noexcept { return core_.locked(); }

  /// Lockable: acquire() without a timeout.
  void lock() noexcept { core_.acquire(false); }
  /// Lockable: acquire(false), without waiting.
  bool try_lock() noexcept { return core_.try_acquire(); }
  /// Lockable: release().
  void unlock() { release(); }
  /// TimedLockable: acquire() waiting at most `timeout`.
  template <class Rep, class Per>
  bool try_lock_for(std::chrono::duration<Rep, Per> timeout) {
    return core_.acquire_until(concur::detail::Deadline::after(timeout), false);
  }
  /// TimedLockable: acquire() waiting until `t` (any clock; a non-steady one is read once).
  template <class Clock, class D>
  bool try_lock_until(std::chrono::time_point<Clock, D> t) {
    return core_.acquire_until(detail::deadline_at(t), false);
  }

 private:
  friend class Condition;
  concur::detail::sync::LockCore core_;
};

/// Python's threading.RLock: the owning thread may acquire it again; it is free once released as
/// often as acquired. Lockable and TimedLockable.
class RLock {
 public:
  RLock() = default;
  RLock(const RLock&) = delete;
  RLock& operator=(const RLock&) = delete;

  /// As Lock::acquire; an owner's nested acquire succeeds at once. Throws std::overflow_error past
  /// 2^32-1 nested levels.
  bool acquire(bool blocking = true, std::optional<Duration> timeout = {}) {
    if (blocking && !timeout) {
      core_.acquire(get_ident(), false);
      return true;
    }
    return core_.acquire_until(get_ident(), detail::acquire_deadline(blocking, timeout), false);
  }
  /// One level down. Throws std::logic_error unless the calling thread owns it.
  void release() {
    if (!core_.release(get_ident(), false))
      throw std::logic_error("cannot release un-acquired lock");
  }

  /// Lockable: acquire() without a timeout.
  void lock() { core_.acquire(get_ident(), false); }
  /// Lockable: acquire(false), without waiting.
  bool try_lock() { return core_.try_acquire(get_ident()); }
  /// Lockable: release().
  void unlock() { release(); }
  /// TimedLockable: acquire() waiting at most `timeout`.
  template <class Rep, class Per>
  bool try_lock_for(std::chrono::duration<Rep, Per> timeout) {
    return core_.acquire_until(get_ident(), concur::detail::Deadline::after(timeout), false);
  }
  /// TimedLockable: acquire() waiting until `t`.
  template <class Clock, class D>
  bool try_lock_until(std::chrono::time_point<Clock, D> t) {
    return core_.acquire_until(get_ident(), detail::deadline_at(t), false);
  }

 private:
  friend class Condition;
  concur::detail::sync::RLockCore core_;
};

}  // namespace concur::threading
