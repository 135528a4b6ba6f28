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
//   long balance CONCUR_GUARDED_BY(lock);                // clang -Wthread-safety checks it:
//   { concur::threading::LockGuard g(lock); balance += 1; }   // (threading/annotations.hpp)
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
#include "concur/threading/annotations.hpp"

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

/// Python's threading.Lock: a plain lock any thread may release. Lockable and TimedLockable; a
/// capability for clang's -Wthread-safety (threading/annotations.hpp).
class CONCUR_CAPABILITY("mutex") Lock {
 public:
  Lock() = default;
  Lock(const Lock&) = delete;
  Lock& operator=(const Lock&) = delete;

  /// Python's acquire(): waits as long as it takes; returns true.
  bool acquire() noexcept CONCUR_ACQUIRE() {
    core_.acquire(false);
    return true;
  }
  /// Python's acquire(blocking, timeout): true once held; false when `blocking` is false or
  /// `timeout` passed first. Throws std::invalid_argument for a negative timeout or a timeout
  /// with blocking = false.
  bool acquire(bool blocking, std::optional<Duration> timeout = {}) CONCUR_TRY_ACQUIRE(true) {
    if (blocking && !timeout) return acquire();
    return core_.acquire_until(detail::acquire_deadline(blocking, timeout), false);
  }
  /// Unlocks. Throws std::logic_error if it was not locked.
  void release() CONCUR_RELEASE() {
    if (!core_.release(false)) throw std::logic_error("release unlocked lock");
  }
  /// A snapshot: true while some thread holds it.
  bool locked() const noexcept { return core_.locked(); }

  /// Lockable: acquire() without a timeout.
  void lock() noexcept CONCUR_ACQUIRE() { core_.acquire(false); }
  /// Lockable: acquire(false), without waiting.
  bool try_lock() noexcept CONCUR_TRY_ACQUIRE(true) { return core_.try_acquire(); }
  /// Lockable: release().
  void unlock() CONCUR_RELEASE() { release(); }
  /// TimedLockable: acquire() waiting at most `timeout`.
  template <class Rep, class Per>
  bool try_lock_for(std::chrono::duration<Rep, Per> timeout) CONCUR_TRY_ACQUIRE(true) {
    return core_.acquire_until(concur::detail::Deadline::after(timeout), false);
  }
  /// TimedLockable: acquire() waiting until `t` (any clock; a non-steady one is read once).
  template <class Clock, class D>
  bool try_lock_until(std::chrono::time_point<Clock, D> t) CONCUR_TRY_ACQUIRE(true) {
    return core_.acquire_until(detail::deadline_at(t), false);
  }

 private:
  friend class Condition;
  concur::detail::sync::LockCore core_;
};

/// Python's threading.RLock: the owning thread may acquire it again; it is free once released as
/// often as acquired. Lockable and TimedLockable; a capability for clang's -Wthread-safety.
class CONCUR_CAPABILITY("mutex") RLock {
 public:
  RLock() = default;
  RLock(const RLock&) = delete;
  RLock& operator=(const RLock&) = delete;

  /// Waits as long as it takes; an owner's nested acquire succeeds at once. Returns true. Throws
  /// std::overflow_error past 2^32-1 nested levels.
  bool acquire() CONCUR_ACQUIRE() {
    core_.acquire(get_ident(), false);
    return true;
  }
  /// As Lock::acquire(blocking, timeout); an owner's nested acquire succeeds at once. Throws
  /// std::overflow_error past 2^32-1 nested levels.
  bool acquire(bool blocking, std::optional<Duration> timeout = {}) CONCUR_TRY_ACQUIRE(true) {
    if (blocking && !timeout) return acquire();
    return core_.acquire_until(get_ident(), detail::acquire_deadline(blocking, timeout), false);
  }
  /// One level down. Throws std::logic_error unless the calling thread owns it.
  void release() CONCUR_RELEASE() {
    if (!core_.release(get_ident(), false))
      throw std::logic_error("cannot release un-acquired lock");
  }

  /// Lockable: acquire() without a timeout.
  void lock() CONCUR_ACQUIRE() { core_.acquire(get_ident(), false); }
  /// Lockable: acquire(false), without waiting.
  bool try_lock() CONCUR_TRY_ACQUIRE(true) { return core_.try_acquire(get_ident()); }
  /// Lockable: release().
  void unlock() CONCUR_RELEASE() { release(); }
  /// TimedLockable: acquire() waiting at most `timeout`.
  template <class Rep, class Per>
  bool try_lock_for(std::chrono::duration<Rep, Per> timeout) CONCUR_TRY_ACQUIRE(true) {
    return core_.acquire_until(get_ident(), concur::detail::Deadline::after(timeout), false);
  }
  /// TimedLockable: acquire() waiting until `t`.
  template <class Clock, class D>
  bool try_lock_until(std::chrono::time_point<Clock, D> t) CONCUR_TRY_ACQUIRE(true) {
    return core_.acquire_until(get_ident(), detail::deadline_at(t), false);
  }

 private:
  friend class Condition;
  concur::detail::sync::RLockCore core_;
};

/// Holds a Lock or RLock (or any annotated lock) for its scope, visibly to clang's
/// -Wthread-safety analysis — std::scoped_lock does the same at run time, but libstdc++'s guards
/// carry no annotations. Not movable. Throws what lock() throws.
///
///   { concur::threading::LockGuard g(lock_); balance_ += n; }
template <class L>
class CONCUR_SCOPED_CAPABILITY LockGuard {
 public:
  /// Takes `lock` (waits as long as it takes).
  explicit LockGuard(L& lock) CONCUR_ACQUIRE(lock) : lock_(lock) { lock_.lock(); }
  /// Releases the lock.
  ~LockGuard() CONCUR_RELEASE() { lock_.unlock(); }
  LockGuard(const LockGuard&) = delete;
  LockGuard& operator=(const LockGuard&) = delete;

 private:
  L& lock_;
};

}  // namespace concur::threading
