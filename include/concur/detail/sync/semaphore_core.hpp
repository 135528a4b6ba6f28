// concur/detail/sync/semaphore_core.hpp — the algorithm of Semaphore and BoundedSemaphore.
//
// Internal; not part of the API. threading::Semaphore/BoundedSemaphore wrap it; the process-shared
// multiprocessing semaphores use the same struct in MAP_SHARED memory.
//
// One 64-bit word (glibc's sem_t design): the low 32 bits are the value — and the futex word —,
// the high 32 bits count the threads that may sleep. acquire is one CAS while value > 0; an
// acquirer that finds 0 spins briefly, then registers and sleeps on the value. release(n, bound)
// is one CAS that adds n and reads the sleeper count in the same step — its last access to the
// struct, so a woken thread may destroy the semaphore at once — and makes the FUTEX_WAKE syscall
// only when someone sleeps. It refuses to go above `bound` (BoundedSemaphore: the initial value;
// Semaphore: UINT32_MAX) and then changes nothing. Waiters are not served in FIFO order (neither
// are Python's).
//
// Using it from shared memory: standard-layout, one lock-free 64-bit atomic, no pointers; all-zero
// bytes are a semaphore of value 0 — init() the initial value before any process uses it. Pass
// shared = true to every call when it lives in memory shared between processes.
//
//   auto* s = new (mmap(...MAP_SHARED...)) SemaphoreCore;  s->init(3);
//   if (s->acquire_until(Deadline::after(1s), true)) { ...; s->release(1, 3, true); }
//
// Thread safety: thread-safe (process-safe with shared = true).
#pragma once

#include <atomic>
#include <bit>
#include <climits>
#include <cstdint>
#include <new>
#include <type_traits>

#include "concur/detail/sync/spin.hpp"

namespace concur::detail::sync {

struct SemaphoreCore {
  static_assert(std::endian::native == std::endian::little, "the futex is the low half");
  static constexpr std::uint64_t kWaiter = std::uint64_t{1} << 32;
  std::atomic<std::uint64_t> state{0};  // (sleepers << 32) | value

  void init(std::uint32_t initial) noexcept { state.store(initial, std::memory_order_relaxed); }

  /// Takes one unit if there is one; never waits.
  bool try_acquire() noexcept {
    std::uint64_t s = state.load(std::memory_order_relaxed);
    while (value_of(s) != 0) {
      if (state.compare_exchange_weak(s, s - 1, std::memory_order_acquire,
                                      std::memory_order_relaxed))
        return true;
    }
    return false;
  }
  /// Waits for a unit until `deadline`; an expired deadline makes one attempt.
  bool acquire_until(const Deadline& deadline, bool shared) noexcept {
    if (try_acquire()) return true;
    if (deadline.expired()) return false;
    if (spin_until(
            [&] { return value_of(state.load(std::memory_order_relaxed)) != 0 && try_acquire(); }))
      return true;
    state.fetch_add(kWaiter, std::memory_order_relaxed);
    for (;;) {
      // Take a unit and deregister in one step.
      std::uint64_t s = state.load(std::memory_order_relaxed);
      while (value_of(s) != 0)
        if (state.compare_exchange_weak(s, s - 1 - kWaiter, std::memory_order_acquire,
                                        std::memory_order_relaxed))
          return true;
      if (!futex_wait_until(value_word(), 0, deadline, shared)) {
        s = state.load(std::memory_order_relaxed);
        for (;;) {  // deadline: a last chance, then deregister
          const std::uint64_t to = value_of(s) != 0 ? s - 1 - kWaiter : s - kWaiter;
          if (state.compare_exchange_weak(s, to, std::memory_order_acquire,
                                          std::memory_order_relaxed))
            return value_of(s) != 0;
        }
      }
    }
  }
  /// Adds n units and wakes up to n sleepers. False (nothing changes) when the value would pass
  /// `bound`.
  bool release(std::uint32_t n, std::uint32_t bound, bool shared) noexcept {
    std::uint64_t s = state.load(std::memory_order_relaxed);
    do {
      const std::uint32_t v = value_of(s);
      if (v > bound || n > bound - v) return false;
    } while (!state.compare_exchange_weak(s, s + n, std::memory_order_release,
                                          std::memory_order_relaxed));
    const std::uint64_t sleepers = s >> 32;
    if (sleepers != 0 && n != 0)
      futex_wake(value_word(),
                 static_cast<int>(sleepers < n ? sleepers : (n > INT_MAX ? INT_MAX : n)), shared);
    return true;
  }
  std::uint32_t get_value() const noexcept {
    return value_of(state.load(std::memory_order_relaxed));
  }

 private:
  static std::uint32_t value_of(std::uint64_t s) noexcept { return static_cast<std::uint32_t>(s); }
  // The low half of `state` as the futex word (only its address reaches the kernel).
  Word& value_word() noexcept { return *std::launder(reinterpret_cast<Word*>(&state)); }
};

static_assert(std::is_standard_layout_v<SemaphoreCore> && sizeof(SemaphoreCore) == 8);
static_assert(std::atomic<std::uint64_t>::is_always_lock_free);

}  // namespace concur::detail::sync
