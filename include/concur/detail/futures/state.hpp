// concur/detail/futures/state.hpp — the shared state behind concur::futures::Future.
//
// Internal; not part of the API. One 32-bit word holds the whole state machine, so that
// completing a future is one atomic read-modify-write and costs no system call unless a thread
// sleeps on it:
//
//   bits 0-2  phase: pending -> running -> finished      (an executor's task)
//                    pending -> completing -> finished   (set_result/set_exception: the claim
//                                                          keeps two setters from racing)
//                    pending -> cancelled                 (cancel(), only while pending)
//   bit  3    waiting:   some thread sleeps on the word (FUTEX_WAIT); the completer wakes it
//   bit  4    locked:    a thread is adding/removing a listener (a tiny spin lock)
//   bit  5    listeners: the listener list is not empty
//   bit  6    failed:    finished with an exception (set in the same step as finished)
//   bit  7    owned:     an executor completes this future; set_result() from outside refuses
//
// Listeners (done-callbacks, and the waiter objects of wait()/as_completed()) hang off one
// intrusive list guarded by the `locked` bit. Whoever moves the phase to done takes the list
// (or, if the list was locked at that moment, the lock holder takes it when it unlocks), so each
// listener is notified exactly once, on the completing thread, in the order added. After the
// phase is done, nobody adds to or removes from the list any more.
//
// Thread safety: every member is thread-safe unless noted.
#pragma once

#include <atomic>
#include <cstdint>
#include <exception>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>

#include "concur/detail/core/deadline.hpp"

namespace concur::futures::detail {

using concur::detail::Deadline;

namespace phase {
inline constexpr std::uint32_t pending = 0, running = 1, completing = 2, cancelled = 3,
                               finished = 4, mask = 7;
}
namespace flag {
inline constexpr std::uint32_t waiting = 8, locked = 16, listeners = 32, failed = 64, owned = 128;
}

constexpr bool is_done(std::uint32_t w) noexcept { return (w & phase::mask) >= phase::cancelled; }

class StateBase;

/// Something to tell when a future is done. notify() is called exactly once, on the thread that
/// completes the future (never under a lock); discard() instead if the future is destroyed
/// without ever completing. Either may free the listener.
struct Listener {
  Listener* next = nullptr;
  virtual void notify(StateBase& state) noexcept = 0;
  virtual void discard() noexcept = 0;

 protected:
  ~Listener() = default;
};

/// The type-independent part of a future's shared state: the state word, the reference count
/// and the listener list.
class StateBase {
 public:
  StateBase(const StateBase&) = delete;
  StateBase& operator=(const StateBase&) = delete;

  void add_ref() noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }
  void release() noexcept {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) destroy();
  }

  std::uint32_t word() const noexcept { return word_.load(std::memory_order_acquire); }
  bool done() const noexcept { return is_done(word()); }

  /// pending -> running (the executor starts the task). False if the future was cancelled
  /// (or is not pending: then nobody may run it).
  bool try_start() noexcept {
    std::uint32_t w = word_.load(std::memory_order_relaxed);
    while ((w & phase::mask) == phase::pending) {
      if (word_.compare_exchange_weak(w, w + phase::running, std::memory_order_acquire,
                                      std::memory_order_relaxed))
        return true;
    }
    return false;
  }
  /// pending or running -> completing: the right to store the result. False when done or
  /// already claimed.
  bool claim() noexcept {
    std::uint32_t w = word_.load(std::memory_order_relaxed);
    for (;;) {
      const std::uint32_t p = w & phase::mask;
      if (p != phase::pending && p != phase::running) return false;
      if (word_.compare_exchange_weak(w, (w & ~phase::mask) | phase::completing,
                                      std::memory_order_acquire, std::memory_order_relaxed))
        return true;
    }
  }
  /// `from` (running for the task that started it, completing after claim()) -> finished, with
  /// the result or exception already stored. One fetch_add: the flags that other threads set
  /// meanwhile (waiting, locked, listeners) are kept and read back in the same step.
  void publish(std::uint32_t from, bool failed) noexcept {
    const std::uint32_t old = word_.fetch_add(phase::finished - from + (failed ? flag::failed : 0),
                                              std::memory_order_acq_rel);
    if (old & (flag::waiting | flag::listeners)) after_done(old);
  }
  /// pending -> cancelled. True if cancelled now or before; false if running or done.
  bool cancel() noexcept {
    std::uint32_t w = word_.load(std::memory_order_relaxed);
    for (;;) {
      const std::uint32_t p = w & phase::mask;
      if (p == phase::cancelled) return true;
      if (p != phase::pending) return false;
      if (word_.compare_exchange_weak(w, w - phase::pending + phase::cancelled,
                                      std::memory_order_acq_rel, std::memory_order_relaxed)) {
        if (w & (flag::waiting | flag::listeners)) after_done(w);
        return true;
      }
    }
  }

  /// Waits until done or the deadline; true if done. On one of the awaited pool's own threads,
  /// first runs that pool's queued tasks (so waiting cannot starve the pool).
  bool wait_until(const Deadline& deadline) const noexcept {
    if (done()) return true;
    return wait_slow(deadline);
  }

  /// Adds `l`; false if the future is already done (then `l` is not added and the caller
  /// notifies it itself).
  bool add_listener(Listener* l) noexcept;
  /// Removes `l`; false if the future completed first (then `l` is notified, or is being
  /// notified, by the completing thread).
  bool remove_listener(Listener* l) noexcept;

 protected:
  StateBase(std::uint32_t refs, bool owned) noexcept
      : word_(owned ? flag::owned : 0u), refs_(refs) {}
  /// Discards listeners never notified (a future destroyed while pending).
  virtual ~StateBase();
  /// Ends the life of this state (the concrete destructor, and the block's memory).
  virtual void destroy() noexcept = 0;
  /// Runs one queued task of the pool that completes this future, when called on one of that
  /// pool's threads; false otherwise.
  virtual bool help() const noexcept { return false; }
  /// Called once by a thread about to wait for this future: it may complete the future itself
  /// (a process pool's waiter reads its worker's reply) before `deadline`.
  virtual void drive(const Deadline& /*deadline*/) const noexcept {}

 private:
  bool wait_slow(const Deadline& deadline) const noexcept;
  void after_done(std::uint32_t old) noexcept;
  bool lock_list() noexcept;
  void unlock_list() noexcept;
  void run_listeners() noexcept;

  mutable std::atomic<std::uint32_t> word_;
  std::atomic<std::uint32_t> refs_;
  Listener* listeners_ = nullptr;  // guarded by flag::locked; newest first
};

/// A stored `void` result.
struct Unit {};

/// The shared state of a Future<T>: StateBase plus the room for the result or the exception.
template <class T>
class FutureState : public StateBase {
 public:
  using Stored = std::conditional_t<
      std::is_void_v<T>, Unit,
      std::conditional_t<std::is_reference_v<T>, std::remove_reference_t<T>*, T>>;

  /// Stores the result (the caller holds the right to complete: a started task or a claim).
  template <class... A>
  void store_value(A&&... a) {
    ::new (static_cast<void*>(std::addressof(value_))) Stored(std::forward<A>(a)...);
  }
  void store_error(std::exception_ptr e) noexcept {
    ::new (static_cast<void*>(std::addressof(error_))) std::exception_ptr(std::move(e));
  }
  /// After finished (and not failed).
  const Stored& value() const noexcept { return value_; }
  /// After finished with the failed flag.
  const std::exception_ptr& error() const noexcept { return error_; }

 protected:
  FutureState(std::uint32_t refs, bool owned) noexcept : StateBase(refs, owned) {}
  ~FutureState() override {
    const std::uint32_t w = word();
    if ((w & phase::mask) != phase::finished) return;
    if (w & flag::failed)
      error_.~exception_ptr();
    else
      value_.~Stored();
  }

 private:
  union {
    Stored value_;
    std::exception_ptr error_;
  };
};

/// The state of a future made by Future() (not by an executor): a heap object of its own.
template <class T>
class PlainState final : public FutureState<T> {
 public:
  PlainState() noexcept : FutureState<T>(1, false) {}

 private:
  void destroy() noexcept override { delete this; }
};

}  // namespace concur::futures::detail
