// concur/threading/semaphore.hpp — Python's threading.Semaphore and BoundedSemaphore (part of
// <concur/threading.hpp>).
//
//   concur::threading::BoundedSemaphore slots(4);       // at most 4 downloads at once
//   { std::scoped_lock slot(slots); download(url); }    // Lockable: lock() takes one unit
//   if (slots.acquire(true, 1s)) { ...; slots.release(); }
//
// A futex semaphore (concur/detail/sync/semaphore_core.hpp): acquire is one CAS while units are
// left; release makes a FUTEX_WAKE syscall only when a thread sleeps. Never std::counting_semaphore
// (libstdc++ 12 builds it on std::atomic::wait, GCC bug 106772).
//
// Errors, as Python's:
// - BoundedSemaphore::release() above the initial value throws std::invalid_argument (ValueError)
//   and changes nothing; release(0) throws std::invalid_argument.
// - acquire(false, timeout) and a negative timeout throw std::invalid_argument; timeout 0 polls.
// - Values are 32-bit: a value above 2^32-1 throws std::invalid_argument (constructor) or
//   std::overflow_error (release).
// Thread safety: every member may be called from any thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>

#include "concur/detail/core/deadline.hpp"
#include "concur/detail/sync/semaphore_core.hpp"
#include "concur/duration.hpp"
#include "concur/threading/lock.hpp"

namespace concur::threading {

/// Python's threading.Semaphore: a counter of units; acquire() takes one, waiting while none is
/// left; release(n) gives n back.
class Semaphore {
 public:
  /// Throws std::invalid_argument above 2^32-1.
  explicit Semaphore(std::size_t value = 1) : Semaphore(value, UINT32_MAX) {}
  Semaphore(const Semaphore&) = delete;
  Semaphore& operator=(const Semaphore&) = delete;

  /// Python's acquire(): true once a unit is taken; false when `blocking` is false or `timeout`
  /// passed first. Throws std::invalid_argument as Lock::acquire.
  bool acquire(bool blocking = true, std::optional<Duration> timeout = {}) {
    if (blocking && !timeout) return core_.acquire_until(concur::detail::Deadline::never(), false);
    return core_.acquire_until(detail::acquire_deadline(blocking, timeout), false);
  }
  /// Gives n units back, waking up to n waiters. Throws std::invalid_argument for n == 0 or
  /// (BoundedSemaphore) above the initial value, std::overflow_error above 2^32-1.
  void release(std::size_t n = 1) {
    if (n == 0) throw std::invalid_argument("n must be one or more");
    if (n > UINT32_MAX || !core_.release(static_cast<std::uint32_t>(n), bound_, false)) {
      if (bound_ != UINT32_MAX) throw std::invalid_argument("Semaphore released too many times");
      throw std::overflow_error("Semaphore value above 2^32-1");
    }
  }
  /// *beyond*: the units left now (a snapshot; Python's private _value).
  std::size_t value() const noexcept { return core_.get_value(); }

  /// Lockable: acquire() without a timeout.
  void lock() { acquire(); }
  /// Lockable: acquire(false), without waiting.
  bool try_lock() noexcept { return core_.try_acquire(); }
  /// Lockable: release(1).
  void unlock() { release(); }
  /// TimedLockable: acquire() waiting at most `timeout`.
  template <class Rep, class Per>
  bool try_lock_for(std::chrono::duration<Rep, Per> timeout) {
    return core_.acquire_until(concur::detail::Deadline::after(timeout), false);
  }
  /// TimedLockable: acquire() waiting until `t`.
  template <class Clock, class D>
  bool try_lock_until(std::chrono::time_point<Clock, D> t) {
    return core_.acquire_until(detail::deadline_at(t), false);
  }

 protected:
  /// For BoundedSemaphore: release() above `bound` throws. Throws std::invalid_argument for a
  /// value or bound above 2^32-1.
  Semaphore(std::size_t value, std::size_t bound) : bound_(static_cast<std::uint32_t>(bound)) {
    if (value > UINT32_MAX || bound > UINT32_MAX)
      throw std::invalid_argument("Semaphore initial value above 2^32-1");
    core_.init(static_cast<std::uint32_t>(value));
  }

 private:
  concur::detail::sync::SemaphoreCore core_;
  std::uint32_t bound_;
};

/// Python's threading.BoundedSemaphore: a Semaphore whose release() above the initial value is
/// an error (std::invalid_argument), which catches a release without a matching acquire.
class BoundedSemaphore : public Semaphore {
 public:
  /// A semaphore starting at, and bounded by, `value`. Throws std::invalid_argument above 2^32-1.
  explicit BoundedSemaphore(std::size_t value = 1) : Semaphore(value, value) {}
};

}  // namespace concur::threading
