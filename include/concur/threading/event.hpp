// concur/threading/event.hpp — Python's threading.Event and threading.Timer (part of
// <concur/threading.hpp>).
//
//   concur::threading::Event ready;
//   concur::threading::Timer alarm(250ms, [&] { ready.set(); });
//   alarm.start();
//   ready.wait(1s);                              // true: the timer fired in time
//
// Event is a futex flag (concur/detail/sync/event_core.hpp): wait() returns true if the flag was
// set at any moment of the wait — a set() directly followed by clear() still releases every
// waiter, as Python's. Timer's thread sleeps on such an Event until its deadline (no polling), so
// cancel() is immediate. A Timer's destructor waits for it unless cancelled; join() rethrows the
// function's exception. Errors: a negative timeout throws std::invalid_argument; Timer::start()
// twice throws std::logic_error.
// Thread safety: every member may be called from any thread.
#pragma once

#include <atomic>
#include <concepts>
#include <memory>
#include <optional>
#include <type_traits>

#include "concur/detail/core/deadline.hpp"
#include "concur/detail/sync/event_core.hpp"
#include "concur/detail/threading_target.hpp"
#include "concur/duration.hpp"
#include "concur/threading/thread.hpp"

namespace concur::threading {

/// Python's threading.Event: a flag threads can wait for.
class Event {
 public:
  Event() = default;
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
  /// Sets the flag and wakes every waiting thread.
  void set() noexcept { core_.set(false); }
  /// Clears the flag: later wait() calls block until the next set().
  void clear() noexcept { core_.clear(); }
  /// A snapshot of the flag.
  bool is_set() const noexcept { return core_.is_set(); }
  /// Waits until set or the timeout (monotonic; none: forever); true if it was set. Throws
  /// std::invalid_argument for a negative timeout.
  bool wait(std::optional<Duration> timeout = {}) {
    concur::detail::check_timeout(timeout);
    return core_.wait_until(concur::detail::Deadline::after(timeout), false);
  }

 private:
  concur::detail::sync::EventCore core_;
};

/// Python's threading.Timer: runs function once, interval after start(), unless cancel()ed
/// first.
class Timer {
 public:
  /// Will call `function()` once, `interval` after start(), on its own thread. Does not start.
  template <class F>
  requires std::invocable<std::decay_t<F>> Timer(Duration interval, F function)
      : Timer(interval, concur::detail::make_target(std::move(function))) {}
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;
  ~Timer();

  /// Throws std::logic_error if already started.
  void start();
  /// Stops the timer if it has not fired yet (harmless afterwards, or before start()).
  void cancel();
  /// Waits for the timer's thread (see Thread::join: std::logic_error before start()).
  void join();
  /// join() with a timeout: false if the thread still runs at the deadline.
  bool join_for(Duration timeout);
  /// Started, and its thread not finished yet (it finishes after firing, or once cancelled).
  bool is_alive() const;

 private:
  Timer(Duration interval, std::unique_ptr<concur::detail::Target> function);
  Duration interval_;
  std::unique_ptr<concur::detail::Target> function_;
  Event cancelled_;
  concur::detail::Deadline deadline_;
  std::atomic<bool> started_{false};
  Thread thread_;
};

}  // namespace concur::threading
