// concur/threading/barrier.hpp — Python's threading.Barrier (part of <concur/threading.hpp>).
//
//   concur::threading::Barrier step(3, [] { swap_buffers(); });   // action: once per cycle
//   // in each of 3 threads, every step:
//   compute(my_part);
//   if (step.wait() == 0) log("step done");      // index 0..2, a different one per thread
//
// Semantics are Python's (concur/detail/sync/barrier_core.hpp): the last thread to arrive runs the
// action before any thread leaves; wait() on a cycle that times out, is abort()ed or whose action
// throws breaks the barrier for every waiter and later caller (BrokenBarrierError) until reset();
// reset() while threads wait gives them BrokenBarrierError and leaves the barrier usable. A
// futex barrier, never std::barrier (libstdc++ 12 builds it on std::atomic::wait, GCC bug 106772).
//
// Errors: BrokenBarrierError as above; the action's own exception reaches the thread that ran it
// (the others get BrokenBarrierError); parties == 0 and a negative timeout throw
// std::invalid_argument (ValueError); reset()/abort() from inside the action throw std::logic_error
// (Python's would deadlock).
// Thread safety: every member may be called from any thread.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>

#include "concur/detail/sync/barrier_core.hpp"
#include "concur/duration.hpp"

namespace concur::threading {

/// Python's threading.BrokenBarrierError.
struct BrokenBarrierError : std::runtime_error {
  BrokenBarrierError()
      : std::runtime_error("threading.BrokenBarrierError: the barrier is broken") {}
  /// `what` says how the barrier broke.
  explicit BrokenBarrierError(const std::string& what) : std::runtime_error(what) {}
};

/// Python's threading.Barrier.
class Barrier {
 public:
  /// `timeout` is the default of wait(). Throws std::invalid_argument for parties == 0 (or above
  /// 2^32-2) or a negative timeout.
  explicit Barrier(std::size_t parties, std::function<void()> action = {},
                   std::optional<Duration> timeout = {});
  Barrier(const Barrier&) = delete;
  Barrier& operator=(const Barrier&) = delete;

  /// Waits until `parties` threads have called wait(); returns this thread's index
  /// (0..parties-1). No timeout: the constructor's. Throws BrokenBarrierError (broken before or
  /// during the wait, by a timeout, abort(), reset() or a throwing action), the action's exception
  /// (in the thread that ran it), std::invalid_argument for a negative timeout.
  std::size_t wait(std::optional<Duration> timeout = {});
  /// Back to the initial state; threads waiting now get BrokenBarrierError.
  void reset();
  /// Breaks the barrier: waiting and later wait() calls throw BrokenBarrierError until reset().
  void abort();

  /// The number of threads a cycle needs.
  std::size_t parties() const noexcept;
  /// Threads waiting in the current cycle (a snapshot).
  std::size_t n_waiting() const noexcept;
  /// Whether the barrier is broken (abort(), a timeout, a throwing action), until reset().
  bool broken() const noexcept;

 private:
  void check_not_in_action(const char* what) const;

  concur::detail::sync::BarrierCore core_;
  std::function<void()> action_;
  std::optional<Duration> timeout_;
};

}  // namespace concur::threading
