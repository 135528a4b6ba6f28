// concur/detail/sync/barrier_core.hpp — the algorithm of Barrier, with Python's semantics.
//
// Internal; not part of the API. threading::Barrier wraps it; the process-shared
// multiprocessing.Barrier uses the same struct in MAP_SHARED memory.
//
// Python's Barrier: wait() returns an index 0..parties-1, different for each thread of a cycle;
// the last thread to arrive runs the action (once per cycle, before anyone leaves); a timeout, an
// exception from the action or abort() breaks the barrier for every waiter (they get
// BrokenBarrierError) and for later callers until reset(); reset() while threads wait breaks their
// cycle, and the barrier is usable again once they have left.
//
// Words (a small LockCore guards every transition; waiters spin and sleep unlocked):
//   gen    futex word: cycle number << 3 | releasing | broken | sleepers. A cycle that completes
//          opens the next one at once (no draining phase, unlike Python's, so a 2-thread cycle
//          costs one handoff): the last thread marks `releasing` under the lock, unlocks, and
//          then one exchange moves gen to the next cycle — its last access to the struct, so a
//          released thread may destroy the barrier at once. A broken cycle ends with the `broken`
//          bit and blocks new arrivals (state) until its waiters have left, so a waiter always
//          tells how *its* cycle ended from gen alone.
//   state  futex word: filling, resetting (reset() waits for a broken cycle's waiters to leave;
//          arrivals wait, as in Python) or broken (arrivals fail at once, until reset()), plus a
//          sleepers bit.
//   count  threads of the filling cycle, or of a broken cycle that have not left yet.
//
// Using it from shared memory: standard-layout, lock-free atomic words, no pointers; zero-filled
// memory plus init(parties) (or placement-new and init) is a fresh barrier. Pass shared = true when
// it lives in memory shared between processes. The action runs in the process of the last thread to
// arrive, with the barrier's small lock held: it must not call reset() or abort() on the same
// barrier (Python's would deadlock too; the threading wrapper turns that into std::logic_error).
//
//   auto* b = new (mmap(...MAP_SHARED...)) BarrierCore;  b->init(3);
//   std::uint32_t i = b->wait(Deadline::after(5s), true, [] {});
//   if (i == BarrierCore::kBroken) throw BrokenBarrierError();
//
// Thread safety: thread-safe (process-safe with shared = true).
#pragma once

#include <atomic>
#include <climits>
#include <cstdint>
#include <type_traits>

#include "concur/detail/sync/lock_core.hpp"

namespace concur::detail::sync {

struct BarrierCore {
  // state values, and its sleepers bit
  static constexpr std::uint32_t kFilling = 0, kResetting = 1, kBrokenState = 2, kStateSleepers = 8;
  // gen bits
  static constexpr std::uint32_t kSleepers = 1, kBrokenBit = 2, kReleasing = 4, kCycle = 8;
  /// wait()'s result when the barrier is (or becomes) broken.
  static constexpr std::uint32_t kBroken = UINT32_MAX;

  LockCore lock;
  Word gen{0};
  Word state{kFilling};
  Word count{0};
  Word parties{0};

  /// Sets the number of parties (>= 1) before first use.
  void init(std::uint32_t n) noexcept { parties.store(n, std::memory_order_relaxed); }

  /// Waits for the cycle to fill; returns this thread's index, or kBroken. The last thread to
  /// arrive runs `action()` first; if it throws, the barrier breaks and the exception propagates
  /// (to that thread only). The deadline breaks the barrier when it passes first.
  template <class Action>
  std::uint32_t wait(const Deadline& deadline, bool shared, Action&& action) {
    lock.acquire(shared);
    std::uint32_t g;
    for (;;) {
      const std::uint32_t s = state.load(std::memory_order_relaxed) & ~kStateSleepers;
      if (s == kBrokenState) {
        lock.release(shared);
        return kBroken;
      }
      g = gen.load(std::memory_order_relaxed) & ~kSleepers;
      if (s == kFilling && !(g & kReleasing)) break;
      // A reset() waits for a broken cycle's waiters, or the last cycle is being released: wait
      // for that (without timeout, as Python's), then look again.
      lock.release(shared);
      if (s == kResetting)
        wait_change(state, kResetting, kStateSleepers, Deadline::never(), shared);
      else
        wait_change(gen, g, kSleepers, Deadline::never(), shared);
      lock.acquire(shared);
    }
    const std::uint32_t index = count.load(std::memory_order_relaxed);
    count.store(index + 1, std::memory_order_relaxed);
    if (index + 1 == parties.load(std::memory_order_relaxed)) {
      try {
        action();
      } catch (...) {
        const bool wake = break_cycle(g);
        count.store(index, std::memory_order_relaxed);  // this thread leaves
        lock.release(shared);
        if (wake) futex_wake(gen, INT_MAX, shared);
        throw;
      }
      count.store(0, std::memory_order_relaxed);
      gen.fetch_or(kReleasing, std::memory_order_relaxed);  // arrivals wait for the next cycle
      lock.release(shared);
      const std::uint32_t old = gen.exchange(next(g), std::memory_order_release);
      if (old & kSleepers) futex_wake(gen, INT_MAX, shared);
      return index;
    }
    lock.release(shared);

    const auto ended = [&](std::uint32_t w) { return (w >> 3) != (g >> 3); };
    if (!spin_until([&] { return ended(gen.load(std::memory_order_acquire)); })) {
      for (;;) {
        const std::uint32_t w = gen.load(std::memory_order_acquire) & ~kSleepers;
        if (ended(w)) break;
        if (!sleep_with_bit(gen, w, kSleepers, deadline, shared) &&
            !ended(gen.load(std::memory_order_acquire))) {
          lock.acquire(shared);
          const std::uint32_t now = gen.load(std::memory_order_relaxed);
          // Still our cycle, and its last thread has not committed to releasing it: the timeout
          // breaks it. (Releasing: the cycle is complete; only the final exchange is pending.)
          bool wake = false;
          if (!ended(now) && !(now & kReleasing)) wake = break_cycle(g);
          lock.release(shared);
          if (wake) futex_wake(gen, INT_MAX, shared);
          if (now & kReleasing) return index;
          break;
        }
      }
    }
    if ((gen.load(std::memory_order_acquire) & ~kSleepers) == (next(g) | kBrokenBit)) {
      leave(shared);  // our cycle broke
      return kBroken;
    }
    return index;
  }

  /// Python's reset(): breaks the cycle being filled (its waiters get kBroken) and makes the
  /// barrier usable again once they have left.
  void reset(bool shared) noexcept {
    lock.acquire(shared);
    const std::uint32_t s = state.load(std::memory_order_relaxed) & ~kStateSleepers;
    bool wake_gen = false;
    std::uint32_t to = kFilling;
    if (count.load(std::memory_order_relaxed) > 0) {
      if (s == kFilling) wake_gen = break_cycle(gen.load(std::memory_order_relaxed));
      to = kResetting;
    }
    const bool wake_state = set_state(to);
    lock.release(shared);
    if (wake_gen) futex_wake(gen, INT_MAX, shared);
    if (wake_state) futex_wake(state, INT_MAX, shared);
  }

  /// Python's abort(): breaks the barrier for the waiters and every later wait() until reset().
  void abort(bool shared) noexcept {
    lock.acquire(shared);
    bool wake_gen = false;
    if ((state.load(std::memory_order_relaxed) & ~kStateSleepers) == kFilling &&
        count.load(std::memory_order_relaxed) > 0)
      wake_gen = break_cycle(gen.load(std::memory_order_relaxed));
    const bool wake_state = set_state(kBrokenState);
    lock.release(shared);
    if (wake_gen) futex_wake(gen, INT_MAX, shared);
    if (wake_state) futex_wake(state, INT_MAX, shared);
  }

  std::uint32_t n_waiting() const noexcept {
    return (state.load(std::memory_order_relaxed) & ~kStateSleepers) == kFilling
               ? count.load(std::memory_order_relaxed)
               : 0;
  }
  bool broken() const noexcept {
    return (state.load(std::memory_order_relaxed) & ~kStateSleepers) == kBrokenState;
  }

 private:
  static std::uint32_t next(std::uint32_t g) noexcept { return ((g >> 3) + 1) << 3; }

  // Sleeps until `word` (sleepers bit aside) is no longer `seen`.
  static void wait_change(Word& word, std::uint32_t seen, std::uint32_t bit,
                          const Deadline& deadline, bool shared) noexcept {
    while ((word.load(std::memory_order_acquire) & ~bit) == seen)
      if (!sleep_with_bit(word, seen, bit, deadline, shared)) return;
  }
  // Under the lock: ends cycle g broken (its waiters stay counted until they leave()). Returns
  // whether sleepers must be woken (after unlocking).
  bool break_cycle(std::uint32_t g) noexcept {
    set_state(kBrokenState);
    return (gen.exchange(next(g) | kBrokenBit, std::memory_order_release) & kSleepers) != 0;
  }
  // Under the lock; returns whether state sleepers must be woken.
  bool set_state(std::uint32_t s) noexcept {
    return (state.exchange(s, std::memory_order_release) & kStateSleepers) != 0;
  }
  // A waiter of a broken cycle leaves; the last one to leave ends a reset().
  void leave(bool shared) noexcept {
    lock.acquire(shared);
    const std::uint32_t left = count.load(std::memory_order_relaxed) - 1;
    count.store(left, std::memory_order_relaxed);
    bool wake = false;
    if (left == 0 && (state.load(std::memory_order_relaxed) & ~kStateSleepers) == kResetting)
      wake = set_state(kFilling);
    lock.release(shared);
    if (wake) futex_wake(state, INT_MAX, shared);
  }
};

static_assert(std::is_standard_layout_v<BarrierCore>);

}  // namespace concur::detail::sync
