// concur/threading/condition.hpp — Python's threading.Condition (part of <concur/threading.hpp>).
//
//   concur::threading::Condition cv;                     // with its own RLock
//   std::deque<int> items;
//   // consumer                                          // producer
//   std::scoped_lock hold(cv);                           std::scoped_lock hold(cv);
//   cv.wait_for([&] { return !items.empty(); });         items.push_back(7);
//   use(items.front());                                  cv.notify();
//
// A Condition owns an RLock, or borrows the Lock/RLock it is given, and is itself a lock
// (acquire/release, and Lockable: std::scoped_lock works on it). Semantics are Python's, which are
// stronger than std::condition_variable's: wait() never returns spuriously, notify(n) wakes exactly
// min(n, waiting) threads, a thread that starts waiting after a notify() is not woken by it, and a
// waiter that times out takes nothing from later notifies (concur/detail/sync/condition_core.hpp).
// wait() on a borrowed RLock held several times releases it completely and restores the depth.
//
// Errors, as Python's: wait() and notify() without the lock held throw std::logic_error
// (RuntimeError) — for a borrowed Lock "held" means locked, by any thread, as in Python; a negative
// timeout throws std::invalid_argument (ValueError).
// Thread safety: every member may be called from any thread (wait/notify with the lock held).
#pragma once

#include <cstddef>
#include <optional>
#include <utility>

#include "concur/detail/core/deadline.hpp"
#include "concur/detail/sync/condition_core.hpp"
#include "concur/duration.hpp"
#include "concur/threading/lock.hpp"

namespace concur::threading {

/// Python's threading.Condition.
class Condition {
 public:
  /// With a new RLock of its own.
  Condition() : rlock_(&own_) {}
  /// Borrows `lock`, which must outlive the Condition.
  explicit Condition(Lock& lock) : lock_(&lock) {}
  /// Borrows the re-entrant `lock`, which must outlive the Condition.
  explicit Condition(RLock& lock) : rlock_(&lock) {}
  Condition(const Condition&) = delete;
  Condition& operator=(const Condition&) = delete;

  /// The lock's acquire()/release(), with the lock's errors.
  bool acquire(bool blocking = true, std::optional<Duration> timeout = {}) {
    return lock_ ? lock_->acquire(blocking, timeout) : rlock_->acquire(blocking, timeout);
  }
  /// Releases the lock (see Lock::release / RLock::release, and their errors).
  void release() { lock_ ? lock_->release() : rlock_->release(); }
  /// Lockable: acquire() without a timeout.
  void lock() { lock_ ? lock_->lock() : rlock_->lock(); }
  /// Lockable: acquire(false).
  bool try_lock() { return lock_ ? lock_->try_lock() : rlock_->try_lock(); }
  /// Lockable: release().
  void unlock() { release(); }

  /// Releases the lock, waits for notify() or the timeout (none: forever), re-acquires the lock.
  /// True if notified, false on timeout. Throws std::logic_error without the lock held,
  /// std::invalid_argument for a negative timeout.
  bool wait(std::optional<Duration> timeout = {});

  /// Python's wait_for: waits until predicate() is true or the timeout (measured once, over all
  /// the waits) passes; returns the predicate's last value. Caller holds the lock.
  template <class P>
  bool wait_for(P predicate, std::optional<Duration> timeout = {}) {
    concur::detail::check_timeout(timeout);
    const auto deadline = concur::detail::Deadline::after(timeout);
    bool result = static_cast<bool>(predicate());
    while (!result) {
      if (timeout && deadline.expired()) break;
      wait_until(deadline);
      result = static_cast<bool>(predicate());
    }
    return result;
  }

  /// Wakes min(n, waiting) threads. Throws std::logic_error without the lock held.
  void notify(std::size_t n = 1);
  /// Wakes every waiting thread. Throws std::logic_error without the lock held.
  void notify_all();

 private:
  bool wait_until(const concur::detail::Deadline& deadline);
  void check_owned(const char* what) const;

  RLock own_;
  Lock* lock_ = nullptr;
  RLock* rlock_ = nullptr;
  concur::detail::sync::ConditionCore core_;
};

}  // namespace concur::threading
